/**
 * A small tar (POSIX ustar + pax) writer and streaming reader.
 *
 * This folder runs in two places: at synth time (building `sourcedir.tar.gz`)
 * and inside the model-repack Lambda function, whose asset is this folder. So
 * it uses only Node's built-ins here, and `@aws-sdk/client-s3` (which the
 * Lambda Node.js runtime provides) in the handler.
 */

export const BLOCK = 512;

/** Entry types this library writes and understands. */
export type TarEntryType = 'file' | 'directory' | 'symlink';

/** What a header says about one member. */
export interface TarEntry {
  /** Member name: relative, `/`-separated, directories ending in `/`. */
  readonly name: string;
  readonly type: TarEntryType;
  /** Permission bits. @default 0o644 for files, 0o755 for directories, 0o777 for symlinks */
  readonly mode?: number;
  /** Data size in bytes (files only). */
  readonly size?: number;
  /** Target of a symlink. */
  readonly linkName?: string;
  /** Modification time in seconds. @default 0 */
  readonly mtime?: number;
}

const TYPE_FLAGS: { [type in TarEntryType]: string } = { file: '0', directory: '5', symlink: '2' };
const MAX_OCTAL_SIZE = 0o77777777777; // what 11 octal digits hold

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  // length - 1 zero-padded octal digits, then NUL.
  writeString(block, offset, length - 1, value.toString(8).padStart(length - 1, '0'));
  block[offset + length - 1] = 0;
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) {
    sum += i >= 148 && i < 156 ? 0x20 : block[i];
  }
  return sum;
}

function ustarBlock(name: string, typeFlag: string, size: number, mode: number, mtime: number, linkName: string): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, mode);
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, mtime);
  block.write(typeFlag, 156, 1, 'ascii');
  writeString(block, 157, 100, linkName);
  block.write('ustar\u000000', 257, 8, 'ascii');
  // uname, gname, devmajor, devminor, prefix stay empty.
  const sum = checksum(block);
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

/** One pax record: `<length> <key>=<value>\n`, the length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let digits = 1;
  while (String(bodyLength + digits).length !== digits) digits++;
  return `${bodyLength + digits}${body}`;
}

function fitsUstar(value: string, max: number): boolean {
  // ASCII only: other names go into a pax record (UTF-8, as pax requires).
  return value.length <= max && /^[\x20-\x7e]*$/.test(value);
}

/** Zero bytes that pad `size` bytes of data to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** The two zero blocks that end an archive. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

/**
 * The header block(s) of one member: a ustar header, preceded by a pax
 * extended header when the name or link target is longer than ustar holds,
 * is not ASCII, or the size exceeds 8 GiB. uid/gid are 0 and user/group
 * names empty, so the bytes depend only on the entry.
 */
export function entryHeader(entry: TarEntry): Buffer {
  const size = entry.type === 'file' ? entry.size ?? 0 : 0;
  const mode = entry.mode ?? (entry.type === 'directory' ? 0o755 : entry.type === 'symlink' ? 0o777 : 0o644);
  const mtime = entry.mtime ?? 0;
  const linkName = entry.linkName ?? '';
  const records: string[] = [];
  if (!fitsUstar(entry.name, 100)) records.push(paxRecord('path', entry.name));
  if (!fitsUstar(linkName, 100)) records.push(paxRecord('linkpath', linkName));
  if (size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(size)));
  const header = ustarBlock(asciiPrefix(entry.name, 100), TYPE_FLAGS[entry.type], Math.min(size, MAX_OCTAL_SIZE),
    mode, mtime, asciiPrefix(linkName, 100));
  if (records.length === 0) return header;
  const data = Buffer.from(records.join(''), 'utf8');
  const paxName = asciiPrefix(`PaxHeader/${entry.name.replace(/\/$/, '').split('/').pop()}`, 100);
  return Buffer.concat([ustarBlock(paxName, 'x', data.length, 0o644, mtime, ''), data, padding(data.length), header]);
}

function asciiPrefix(value: string, max: number): string {
  return value.replace(/[^\x20-\x7e]/g, '_').slice(0, max);
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/** A member read from an archive. */
export interface ReadEntry {
  /** The effective name (pax `path`, GNU long name, or ustar prefix + name). */
  readonly name: string;
  /** The ustar type flag (`0`, `5`, `2`, ...; `\0` is read as `0`). */
  readonly typeFlag: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: number;
  readonly linkName: string;
  /**
   * The member's raw bytes before its data: any pax/GNU metadata blocks
   * and the header block, to copy the member unchanged.
   */
  readonly rawHeader: Buffer;
}

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

function readNumber(block: Buffer, offset: number, length: number): number {
  // eslint-disable-next-line no-bitwise
  if (block[offset] & 0x80) {
    // base-256 (GNU): big-endian, the first byte's top bit is the marker.
    // eslint-disable-next-line no-bitwise
    let value = block[offset] & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[offset + i];
    return value;
  }
  const text = readString(block, offset, length).trim();
  return text ? parseInt(text, 8) : 0;
}

function parsePax(data: Buffer): { [key: string]: string } {
  const records: { [key: string]: string } = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const length = parseInt(data.toString('ascii', at, space), 10);
    if (!(length > 0)) break;
    const record = data.toString('utf8', space + 1, at + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return records;
}

/** Reads exact byte counts from a stream of chunks, holding at most one chunk. */
export class ByteReader {
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string>;
  private chunk: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or fewer at the end of the stream. Meant for small `n`. */
  public async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      if (!(await this.fill())) break;
      const take = this.chunk.subarray(0, n - have);
      this.chunk = this.chunk.subarray(take.length);
      parts.push(take);
      have += take.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** The next `n` bytes as chunks (never more than one input chunk at a time). Throws when the stream ends first. */
  public async *stream(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw new Error(`tar archive ends ${left} bytes early`);
      const take = this.chunk.subarray(0, Math.min(left, this.chunk.length));
      this.chunk = this.chunk.subarray(take.length);
      left -= take.length;
      yield take;
    }
  }

  /** Skips `n` bytes. */
  public async skip(n: number): Promise<void> {
    for await (const _ of this.stream(n)) { /* dropped */ }
  }

  /** Reads and drops the rest of the stream (what follows an archive's end: zero blocks, record padding). */
  public async drain(): Promise<void> {
    this.chunk = Buffer.alloc(0);
    while (await this.fill()) this.chunk = Buffer.alloc(0);
  }

  private async fill(): Promise<boolean> {
    while (this.chunk.length === 0) {
      if (this.done) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      this.chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
    return true;
  }
}

/** Largest pax or GNU long-name record this reader holds in memory. */
const MAX_METADATA_BYTES = 1024 * 1024;

/**
 * The next member of an archive, or undefined at its end (a zero block or
 * the end of the stream). The caller must then consume exactly
 * `size` + padding bytes of data (`reader.stream` or `reader.skip`).
 */
export async function nextEntry(reader: ByteReader): Promise<ReadEntry | undefined> {
  const raw: Buffer[] = [];
  let pax: { [key: string]: string } = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const block = await reader.read(BLOCK);
    if (block.length === 0) return undefined;
    if (block.length < BLOCK) throw new Error('tar archive ends inside a header');
    if (block.every(b => b === 0)) return undefined;
    const stored = readNumber(block, 148, 8);
    if (stored !== checksum(block)) throw new Error('not a tar archive (header checksum mismatch)');
    const typeFlag = block[156] === 0 ? '0' : String.fromCharCode(block[156]);
    const size = readNumber(block, 124, 12);
    raw.push(block);
    if (typeFlag === 'x' || typeFlag === 'L' || typeFlag === 'K') {
      if (size > MAX_METADATA_BYTES) throw new Error(`tar metadata record of ${size} bytes is larger than ${MAX_METADATA_BYTES}`);
      const data = await reader.read(size);
      if (data.length < size) throw new Error('tar archive ends inside a metadata record');
      raw.push(data);
      const pad = padding(size);
      await reader.skip(pad.length);
      raw.push(pad);
      if (typeFlag === 'x') pax = { ...pax, ...parsePax(data) };
      else if (typeFlag === 'L') longName = readString(data, 0, data.length);
      else longLink = readString(data, 0, data.length);
      continue;
    }
    const isUstar = block.toString('ascii', 257, 262) === 'ustar';
    const prefix = isUstar ? readString(block, 345, 155) : '';
    const baseName = readString(block, 0, 100);
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
    return {
      name,
      typeFlag,
      size: pax.size !== undefined ? Number(pax.size) : size,
      mode: readNumber(block, 100, 8),
      mtime: readNumber(block, 136, 12),
      linkName: pax.linkpath ?? longLink ?? readString(block, 157, 100),
      rawHeader: Buffer.concat(raw),
    };
  }
}

/** How many data bytes follow a member's header (its size, padded to whole blocks; none for links and directories). */
export function dataLength(entry: ReadEntry): number {
  // Hard links (1), symlinks (2), character/block devices (3, 4), directories (5) and FIFOs (6) carry no data.
  if (['1', '2', '3', '4', '5', '6'].includes(entry.typeFlag)) return 0;
  return entry.size + padding(entry.size).length;
}
