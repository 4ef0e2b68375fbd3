/**
 * The parts of the transform engine, each on its own: the ordered writer,
 * the dispatch window, the answer assembly and the invoker (against a
 * stand-in of the serving container: the engine's full path with a real
 * container is in runner.test.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HttpAnswer, HttpFailure } from '../../../../src/local/private/serving/loopback-http';
import type { ServingContainer } from '../../../../src/local/private/serving/serving-container';
import { AnswerAssembly } from '../../../../src/local/private/transform/answer-assembly';
import { DataProcessor } from '../../../../src/local/private/transform/data-processing';
import { DispatchWindow, RequestSlots } from '../../../../src/local/private/transform/dispatch-window';
import { windowSize } from '../../../../src/local/private/transform/engine';
import { FileFailure } from '../../../../src/local/private/transform/file-failure';
import { Invoker } from '../../../../src/local/private/transform/invoker';
import { OrderedWriter } from '../../../../src/local/private/transform/ordered-writer';
import type { Payload } from '../../../../src/local/private/transform/packing';

const b = (s: string) => Buffer.from(s);
const MB = 1024 * 1024;
const payload = (text: string, records = 1): Payload => ({ body: b(text), records });

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-engine-parts-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('OrderedWriter', () => {
  test('answers that arrive out of order are written in input order, and only the committed .out remains', async () => {
    // GIVEN
    const advances: number[] = [];
    const writer = new OrderedWriter(path.join(dir, 'sub', 'a.csv.out'), () => advances.push(writer.written), (e) => { throw e; });
    // WHEN answers 2, 0, 3, 1 arrive
    writer.put(2, [b('c\n')]);
    writer.put(0, [b('a\n')]);
    writer.put(3, [b('d'), b('\n')]);
    expect(writer.written).toBe(1);
    writer.put(1, [b('b\n')]);
    const out = await writer.commit();
    // THEN
    expect(fs.readFileSync(out, 'utf8')).toBe('a\nb\nc\nd\n');
    expect(advances).toEqual([1, 4]);
    expect(fs.readdirSync(path.join(dir, 'sub'))).toEqual(['a.csv.out']);
  });

  test('onWritten gets every part once it is in the file, and only then (the engine hands answer buffers back there)', async () => {
    // GIVEN a writer that checks the file when it is told parts are written
    const target = path.join(dir, 'h.out');
    const seen: string[] = [];
    let onDisk = '';
    const writer = new OrderedWriter(target, () => undefined, (e) => { throw e; }, (parts) => {
      seen.push(...parts.map((p) => p.toString()));
      const partial = fs.readdirSync(dir).find((f) => f.startsWith('.h.out.'))!;
      onDisk = fs.readFileSync(path.join(dir, partial), 'utf8');
    });
    // WHEN
    writer.put(1, [b('second\n')]);
    writer.put(0, [b('first'), b('\n')]);
    expect(seen).toEqual([]); // nothing issued yet (below the batch size)
    await writer.commit();
    // THEN
    expect(seen).toEqual(['first', '\n', 'second\n']);
    expect(onDisk).toBe('first\nsecond\n');
  });

  test('a discarded file leaves nothing, also what was written before', async () => {
    const writer = new OrderedWriter(path.join(dir, 'b.out'), () => undefined, (e) => { throw e; });
    writer.put(0, [Buffer.alloc(300 * 1024, 0x61)]);
    await writer.whenWritten();
    await writer.discard();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('after abort(), answers are no longer written', async () => {
    const writer = new OrderedWriter(path.join(dir, 'c.out'), () => undefined, (e) => { throw e; });
    writer.put(0, [b('kept\n')]);
    writer.flush();
    await writer.whenWritten();
    writer.abort();
    writer.put(1, [b('dropped\n')]);
    writer.flush();
    await writer.close();
    const partial = fs.readdirSync(dir).find((f) => f.endsWith('.partial'))!;
    expect(fs.readFileSync(path.join(dir, partial), 'utf8')).toBe('kept\n');
  });
});

describe('DispatchWindow', () => {
  test('sends at once while the window and the slots allow; a payload a window ahead of the writer waits until it moves on', async () => {
    // GIVEN a window of 2 and plenty of slots
    const writer = new OrderedWriter(path.join(dir, 'w.out'), () => window.advance(), (e) => { throw e; });
    const window: DispatchWindow = new DispatchWindow({ slots: new RequestSlots(10), writer, size: 2, maxQueuedWriteBytes: MB });
    // WHEN
    expect(window.admit()).toBe(0);
    expect(window.admit()).toBe(1);
    const third = window.admit();
    // THEN the third waits for the writer
    expect(third).toBeInstanceOf(Promise);
    let admitted: number | undefined;
    void (third as Promise<number>).then((seq) => { admitted = seq; });
    await new Promise((r) => setImmediate(r));
    expect(admitted).toBeUndefined();
    writer.put(0, [b('x\n')]);
    await new Promise((r) => setImmediate(r));
    expect(admitted).toBe(2);
    await writer.discard();
  });

  test('the request slots are shared: a payload waits for a slot that another gives back', async () => {
    const slots = new RequestSlots(1);
    const writer = new OrderedWriter(path.join(dir, 's.out'), () => undefined, (e) => { throw e; });
    const window = new DispatchWindow({ slots, writer, size: 100, maxQueuedWriteBytes: MB });
    expect(window.admit()).toBe(0);
    const second = window.admit() as Promise<number>;
    expect(second).toBeInstanceOf(Promise);
    slots.release();
    await expect(second).resolves.toBe(1);
    await writer.discard();
  });

  test('once closed (the file failed), nothing waits for the window', async () => {
    const writer = new OrderedWriter(path.join(dir, 'f.out'), () => undefined, (e) => { throw e; });
    const window = new DispatchWindow({ slots: new RequestSlots(10), writer, size: 1, maxQueuedWriteBytes: MB });
    expect(window.admit()).toBe(0);
    const waiting = window.admit() as Promise<number>;
    window.close();
    await expect(waiting).resolves.toBe(1);
    await writer.discard();
  });
});

describe('AnswerAssembly', () => {
  test('AssembleWith Line adds a line break only to an answer without one', () => {
    const assembly = new AnswerAssembly({ assembleLines: true, perLineOutput: true });
    expect(Buffer.concat(assembly.assemble(b('1\n2'), payload('a\nb', 2), 1)).toString()).toBe('1\n2\n');
    expect(assembly.assemble(b('1\n'), payload('a'), 1)).toHaveLength(1);
    expect(Buffer.concat(new AnswerAssembly({ assembleLines: false, perLineOutput: false }).assemble(b('1'), payload('a'), 1)).toString()).toBe('1');
  });

  test('a join needs one output line per record, and says which records did not get theirs', () => {
    const dp = DataProcessor.create({ JoinSource: 'Input' }, 'text/csv', 'text/csv')!;
    const assembly = new AnswerAssembly({ assembleLines: true, perLineOutput: true, dataProcessor: dp });
    const p: Payload = { body: b('x,1\ny,2\n'), records: 2, originals: [b('x,1'), b('y,2')] };
    expect(Buffer.concat(assembly.assemble(b('10\n20\n'), p, 5)).toString()).toBe('x,1,10\ny,2,20\n');
    expect(() => assembly.assemble(b('10\n'), p, 5)).toThrow(new FileFailure(
      'JoinSource Input needs one output line per input record, but the container answered 1 lines for records 5-6 (2 records).'));
  });
});

describe('Invoker', () => {
  /** A stand-in of the serving container that answers from a script. */
  function serving(answers: Array<HttpAnswer | Error>, exited?: number) {
    const sent: { body: string; headers: { [k: string]: string }; timeoutMs: number }[] = [];
    const container = {
      exited,
      recentLogs: () => 'Traceback: boom',
      request: (_method: string, _path: string, timeoutMs: number, body: Buffer, headers: { [k: string]: string }) => {
        sent.push({ body: body.toString(), headers, timeoutMs });
        const next = answers.shift()!;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
    } as unknown as ServingContainer;
    return { container, sent };
  }
  const assembly = new AnswerAssembly({ assembleLines: true, perLineOutput: false });
  const options = { assembly, contentType: 'text/csv', accept: 'application/json', timeoutMs: 5000, retryDelayMs: () => 1 };

  test('POSTs with the job\'s headers and timeout, and retries a 5xx and a failed connection', async () => {
    const { container, sent } = serving([
      { status: 503, body: b('busy') },
      new HttpFailure('connection', 'ECONNRESET'),
      { status: 200, body: b('ok') },
    ]);
    const invoker = new Invoker({ ...options, serving: container, retries: 3 });
    await expect(invoker.send(payload('1,2'), 1).then((parts) => Buffer.concat(parts).toString())).resolves.toBe('ok\n');
    expect(invoker.requests).toBe(3);
    expect(sent[0]).toEqual({ body: '1,2', headers: { 'Content-Type': 'text/csv', 'Accept': 'application/json' }, timeoutMs: 5000 });
  });

  test('a 4xx is not retried; the last problem is given when retries run out', async () => {
    const four = new Invoker({ ...options, serving: serving([{ status: 400, body: b('bad row') }]).container, retries: 3 });
    await expect(four.send(payload('x'), 7)).rejects.toThrow(new FileFailure('the model container answered 400 for record 7: bad row'));
    const timeouts = new Invoker({ ...options, serving: serving([new HttpFailure('timeout', 't'), new HttpFailure('timeout', 't')]).container, retries: 1 });
    await expect(timeouts.send(payload('a\nb', 2), 3)).rejects.toThrow(new FileFailure(
      'records 3-4 failed after 1 retry: no answer within ModelClientConfig.InvocationsTimeoutInSeconds (5 s)'));
  });

  test('a container that has exited fails the payload with its last output, without a request', async () => {
    const { container, sent } = serving([], 137);
    const invoker = new Invoker({ ...options, serving: container, retries: 3 });
    await expect(invoker.send(payload('x'), 1)).rejects.toThrow(
      'the serving container exited with code 137 while record 1 were being transformed.\n--- last container output ---\nTraceback: boom');
    expect(sent).toEqual([]);
  });
});

describe('windowSize', () => {
  test('four payloads per request slot while they fit in 24 MB, never fewer than the slots plus one', () => {
    expect(windowSize(4, 64 * 1024)).toBe(16);
    expect(windowSize(4, MB)).toBe(16);
    expect(windowSize(4, 6 * MB)).toBe(5);
    expect(windowSize(1, 6 * MB)).toBe(4);
    expect(windowSize(8, 100 * MB)).toBe(9);
    // MaxPayloadInMB 0: no limit, so the least window
    expect(windowSize(4, 0)).toBe(5);
  });
});
