import { recordIoRecord, tfRecord } from './record-io';
import { PayloadPacker, Payload } from '../../../../src/local/private/transform/packing';
import { createSplitter } from '../../../../src/local/private/transform/splitters';

/** Feeds `data` to a splitter in chunks of `chunkSize` bytes. */
function split(splitType: string, data: Buffer, chunkSize: number): Buffer[] {
  const splitter = createSplitter(splitType);
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) splitter.push(data.subarray(i, i + chunkSize), (r) => out.push(Buffer.from(r)));
  splitter.end((r) => out.push(Buffer.from(r)));
  return out;
}

describe('splitters', () => {
  test.each([1, 3, 1000])('GIVEN lines WHEN split in chunks of %d THEN one record per line without terminator', (chunk) => {
    // GIVEN
    const data = Buffer.from('a,1\r\nbb,2\n\nccc,3');
    // WHEN
    const records = split('Line', data, chunk).map(String);
    // THEN
    expect(records).toEqual(['a,1', 'bb,2', 'ccc,3']);
  });

  test.each([1, 5, 4096])('GIVEN RecordIO with a multi-part record WHEN split in chunks of %d THEN logical records with framing kept', (chunk) => {
    // GIVEN
    const r1 = recordIoRecord(Buffer.from('one'));
    const r2 = recordIoRecord(Buffer.from('a longer record in three parts'), 3);
    const r3 = recordIoRecord(Buffer.from('four'));
    // WHEN
    const records = split('RecordIO', Buffer.concat([r1, r2, r3]), chunk);
    // THEN
    expect(records).toEqual([r1, r2, r3]);
    expect(r1.length).toBe(12);
  });

  test.each([1, 7, 4096])('GIVEN TFRecords WHEN split in chunks of %d THEN whole frames', (chunk) => {
    const frames = [tfRecord(Buffer.from('x')), tfRecord(Buffer.alloc(300, 1)), tfRecord(Buffer.alloc(0))];
    expect(split('TFRecord', Buffer.concat(frames), chunk)).toEqual(frames);
  });

  test('GIVEN bad framing WHEN split THEN clear errors', () => {
    expect(() => split('RecordIO', Buffer.from('not recordio at all'), 100)).toThrow(/expected the magic number 0xced7230a/);
    expect(() => split('TFRecord', tfRecord(Buffer.from('abcdef')).subarray(0, 15), 100)).toThrow(/Truncated TFRecord data/);
    expect(() => createSplitter('Words')).toThrow(/SplitType 'Words' is not valid: use None, Line, RecordIO or TFRecord/);
  });

  test('GIVEN SplitType None WHEN split THEN the whole input is one record', () => {
    expect(split('None', Buffer.from('a\nb\n'), 1).map(String)).toEqual(['a\nb\n']);
    expect(split('None', Buffer.alloc(0), 1)).toEqual([]);
  });
});

describe('PayloadPacker', () => {
  const pack = (records: string[], multiRecord: boolean, max: number, separator?: Buffer) => {
    const out: Payload[] = [];
    const packer = new PayloadPacker({ multiRecord, maxPayloadBytes: max, separator, keepOriginals: true, inputName: 'in.csv' });
    for (const r of records) packer.add(Buffer.from(r), Buffer.from(`orig-${r}`), (p) => out.push(p));
    packer.flush((p) => out.push(p));
    return out;
  };

  test('GIVEN MultiRecord WHEN packing THEN as many whole records as fit, counted in BYTES', () => {
    // GIVEN: 'é' is 2 bytes: each of the first records is 4 bytes + newline = 5
    const records = ['éé', 'bbbb', 'cccc', 'dddd', 'x'.repeat(10)];
    expect(Buffer.byteLength(records[0])).toBe(4);
    // WHEN
    const payloads = pack(records, true, 10, Buffer.from('\n'));
    // THEN
    expect(payloads.map((p) => p.body.toString())).toEqual(['éé\nbbbb\n', 'cccc\ndddd\n', 'x'.repeat(10)]);
    expect(payloads.map((p) => p.records)).toEqual([2, 2, 1]);
    expect(payloads[1].originals!.map(String)).toEqual(['orig-cccc', 'orig-dddd']);
    expect(payloads.every((p) => p.body.length <= 10)).toBe(true);
  });

  test('GIVEN SingleRecord WHEN packing THEN one record per payload', () => {
    expect(pack(['a', 'b'], false, 10).map((p) => p.body.toString())).toEqual(['a', 'b']);
  });

  test('GIVEN no limit WHEN packing MultiRecord THEN everything in one payload', () => {
    expect(pack(['a', 'b', 'c'], true, 0, Buffer.from('\n')).map((p) => p.body.toString())).toEqual(['a\nb\nc\n']);
  });

  test('GIVEN a record larger than the limit WHEN packing THEN the job fails with a clear reason', () => {
    expect(() => pack(['small', 'x'.repeat(11)], true, 10)).toThrow(/Record 2 of 'in.csv' is 11 bytes, larger than MaxPayloadInMB allows \(10 bytes\)/);
  });
});
