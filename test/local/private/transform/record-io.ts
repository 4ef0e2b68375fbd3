/** Test helpers that write MXNet RecordIO and TFRecord framing. */

const MAGIC = 0xced7230a;

/** One RecordIO part: magic, flag/length word, data, padding to 4 bytes. */
export function recordIoPart(data: Buffer, flag = 0): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(flag * 2 ** 29 + data.length, 4);
  const padding = Buffer.alloc((4 - (data.length % 4)) % 4);
  return Buffer.concat([header, data, padding]);
}

/** A logical RecordIO record, split into `parts` physical parts when > 1. */
export function recordIoRecord(data: Buffer, parts = 1): Buffer {
  if (parts === 1) return recordIoPart(data, 0);
  const size = Math.ceil(data.length / parts);
  const out: Buffer[] = [];
  for (let i = 0; i < parts; i++) {
    const flag = i === 0 ? 1 : i === parts - 1 ? 3 : 2;
    out.push(recordIoPart(data.subarray(i * size, (i + 1) * size), flag));
  }
  return Buffer.concat(out);
}

/** One TFRecord frame (CRCs left zero: local mode does not check them). */
export function tfRecord(data: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  return Buffer.concat([header, data, Buffer.alloc(4)]);
}
