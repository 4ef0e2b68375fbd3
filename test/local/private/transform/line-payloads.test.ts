import { prng } from './prng';
import { BufferPool } from '../../../../src/local/private/transform/buffer-pool';
import { Payload } from '../../../../src/local/private/transform/packing';
import { createPayloadFeed } from '../../../../src/local/private/transform/payload-feed';

interface FeedOutcome {
  readonly payloads: Array<{ body: string; records: number }>;
  readonly records: number;
  readonly error?: string;
}

/**
 * Feeds `data` in the given chunk sizes (cycled) to the fast or the general
 * path. `pooled`: the fast path with a body pool, as the engine runs it:
 * every chunk is read into ONE buffer that is overwritten with `#` after
 * each push, and every body goes back to the pool once the sink has it.
 */
function feed(data: Buffer, maxPayloadBytes: number, chunkSizes: number[], fast: boolean, pooled = false): FeedOutcome {
  // No limit: no pool (a body may be of any size).
  const pool = pooled && maxPayloadBytes > 0 ? new BufferPool(maxPayloadBytes + 1, 2) : undefined;
  const f = createPayloadFeed({ splitType: 'Line', multiRecord: true, maxPayloadBytes, inputName: 'in.txt', fastLinePath: fast, bodyPool: pool });
  expect(f.copiesChunks).toBe(pool !== undefined);
  const payloads: Array<{ body: string; records: number }> = [];
  // Copies: a body must stay valid after later chunks arrive.
  const sink = (p: Payload) => {
    payloads.push({ body: Buffer.from(p.body).toString('latin1'), records: p.records });
    if (pool) {
      expect(pool.owns(p.body)).toBe(true);
      pool.give(p.body);
    }
  };
  const reused = Buffer.alloc(Math.max(...chunkSizes));
  let error: string | undefined;
  try {
    let pos = 0;
    let i = 0;
    while (pos < data.length) {
      const size = chunkSizes[i++ % chunkSizes.length];
      let chunk = data.subarray(pos, pos + size);
      if (f.copiesChunks) chunk = reused.subarray(0, chunk.copy(reused));
      f.push(chunk, sink);
      if (f.copiesChunks) reused.fill('#');
      pos += size;
    }
    f.end(sink);
  } catch (e) {
    error = (e as Error).message;
  }
  return { payloads, records: f.records, error };
}

/** Lines of random length made of letters, `\r` and `\n`, with empty lines, CRLF, lone `\r` and maybe no final newline. */
function randomInput(random: () => number, maxLine: number): Buffer {
  const parts: string[] = [];
  const lines = Math.floor(random() * 40);
  for (let i = 0; i < lines; i++) {
    const length = Math.floor(random() * (maxLine + 2));
    let line = '';
    for (let j = 0; j < length; j++) line += random() < 0.05 ? '\r' : String.fromCharCode(97 + Math.floor(random() * 26));
    const end = random();
    parts.push(line + (i === lines - 1 && end < 0.3 ? '' : end < 0.6 ? '\n' : end < 0.8 ? '\r\n' : '\n\n'));
  }
  return Buffer.from(parts.join(''), 'latin1');
}

describe('LinePayloadCutter (the SplitType Line + MultiRecord fast path)', () => {
  test.each([
    ['empty lines', 'a\n\n\nbb\n\n', 8],
    ['CRLF and lone CRs', 'a\r\nbb\r\n\r\n\r\ncc\r\r\n\rd\n', 8],
    ['a last line without newline', 'aa\nbb\ncc', 6],
    ['a last line "x\\r" without newline', 'aa\nx\r', 6],
    ['a lone record of exactly the limit', 'abcdefgh\nab\nabcdefgh\n', 8],
    ['a record of exactly the limit after CR stripping', 'abcdefgh\r\nab\n', 8],
    ['no limit (MaxPayloadInMB 0)', 'a\n\nb\r\nc', 0],
    ['nothing but newlines', '\n\r\n\n', 4],
    ['an empty input', '', 4],
  ])('GIVEN %s WHEN packed THEN the fast path emits exactly what the general path emits', (_, text, max) => {
    // GIVEN
    const data = Buffer.from(text, 'latin1');
    // WHEN
    const general = feed(data, max, [1000], false);
    const outcomes = [[1000], [1], [2, 3], [5]].flatMap((chunks) => [feed(data, max, chunks, true), feed(data, max, chunks, true, true)]);
    // THEN
    expect(general.error).toBeUndefined();
    for (const fast of outcomes) expect(fast).toEqual(general);
  });

  test.each([false, true])('GIVEN known inputs WHEN packed by the fast path (pooled: %p) THEN the bodies are what SageMaker sends', (pooled) => {
    // bodies: records + `\n`, empty lines and `\r` dropped, at most 8 bytes, a lone record of exactly 8 without `\n`
    expect(feed(Buffer.from('a\r\n\nbb\nccc\ndddddddd\nee'), 8, [3], true, pooled)).toEqual({
      payloads: [{ body: 'a\nbb\n', records: 2 }, { body: 'ccc\n', records: 1 }, { body: 'dddddddd', records: 1 }, { body: 'ee\n', records: 1 }],
      records: 5,
    });
  });

  test('GIVEN a record over the limit WHEN packed THEN both paths fail with the same message and record count', () => {
    // GIVEN
    const data = Buffer.from('a\n\nbb\r\nccccccccc\r\ndd\n');
    // WHEN
    const general = feed(data, 8, [1000], false);
    const fast = [[1000], [1], [4]].flatMap((chunks) => [feed(data, 8, chunks, true), feed(data, 8, chunks, true, true)]);
    // THEN
    expect(general.error).toBe(
      "Record 3 of 'in.txt' is 9 bytes, larger than MaxPayloadInMB allows (8 bytes). "
      + 'Raise MaxPayloadInMB (up to 100), split the input into smaller records, or set MaxPayloadInMB to 0 (no limit) with SplitType None.',
    );
    expect(general.records).toBe(3);
    for (const f of fast) expect(f).toEqual(general);
  });

  test('GIVEN 3000 random inputs and random chunkings WHEN packed THEN the fast path always equals the general path', () => {
    const random = prng(20240611);
    let failures = 0;
    let payloads = 0;
    for (let i = 0; i < 3000; i++) {
      // GIVEN
      const max = [0, 1, 2, 5, 8, 16, 64][Math.floor(random() * 7)];
      const data = randomInput(random, max === 0 ? 12 : max + 1);
      const chunks = Array.from({ length: 1 + Math.floor(random() * 4) }, () => 1 + Math.floor(random() * 20));
      // WHEN
      const general = feed(data, max, [data.length + 1], false);
      const fast = feed(data, max, chunks, true);
      const pooled = feed(data, max, chunks, true, true);
      // THEN
      expect({ input: data.toString('latin1'), max, chunks, ...fast }).toEqual({ input: data.toString('latin1'), max, chunks, ...general });
      expect({ input: data.toString('latin1'), max, chunks, ...pooled }).toEqual({ input: data.toString('latin1'), max, chunks, ...general });
      if (general.error) failures++;
      payloads += general.payloads.length;
    }
    // the random inputs exercised both outcomes
    expect(failures).toBeGreaterThan(100);
    expect(payloads).toBeGreaterThan(5000);
  });
});
