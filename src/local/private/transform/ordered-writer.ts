/**
 * Writes the answers of one input file to its `.out` file in input order
 * (INTERNAL), whatever order they arrive in. Answers are numbered by the
 * sequence of their payloads; an answer that comes early waits in memory
 * for those before it. Writes are asynchronous (the event loop keeps serving
 * answers meanwhile), batched, one at a time, into a temp file beside the
 * `.out` that is renamed to it only when the whole file succeeded
 * ({@link commit}) and removed otherwise ({@link discard}): there is never a
 * half-written `.out`.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { cleanupRegistry } from '../docker';

/** Answers gathered before a write is issued. */
const WRITE_BATCH_BYTES = 256 * 1024;
const WRITE_BATCH_PARTS = 512;

/** See the module comment. */
export class OrderedWriter {
  /**
   * Answers handed to the file so far: the sequence number of the next
   * answer to write. Payloads up to a window ahead of it may be in flight.
   */
  public written = 0;
  /** Bytes issued to the file and not yet on it. */
  public queuedBytes = 0;
  private readonly tempPath: string;
  private readonly fd: number;
  /** Answers that came before their turn, by sequence number. */
  private readonly early = new Map<number, Buffer[]>();
  private parts: Buffer[] = [];
  private bytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private aborted = false;

  /**
   * Opens the temp file of `finalPath`. `onAdvance` is called whenever
   * {@link written} grows; `onError` with the first write error;
   * `onWritten` with the parts of every write that is done (they are no
   * longer needed).
   */
  constructor(
    private readonly finalPath: string,
    private readonly onAdvance: () => void,
    private readonly onError: (e: Error) => void,
    private readonly onWritten?: (parts: Buffer[]) => void,
  ) {
    fs.mkdirSync(path.dirname(finalPath), { recursive: true });
    this.tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${crypto.randomBytes(4).toString('hex')}.partial`);
    cleanupRegistry.trackDir(this.tempPath);
    this.fd = fs.openSync(this.tempPath, 'w');
  }

  /** The answer to payload `seq`: written now if it is its turn (with those that waited for it), else kept until it is. */
  public put(seq: number, parts: Buffer[]): void {
    if (seq !== this.written) {
      this.early.set(seq, parts);
      return;
    }
    let next: Buffer[] | undefined = parts;
    while (next) {
      this.early.delete(this.written);
      this.written++;
      for (const p of next) {
        this.parts.push(p);
        this.bytes += p.length;
      }
      next = this.early.get(this.written);
    }
    if (this.bytes >= WRITE_BATCH_BYTES || this.parts.length > WRITE_BATCH_PARTS) this.flush();
    this.onAdvance();
  }

  /** Issues the write of what was gathered. */
  public flush(): void {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    const bytes = this.bytes;
    this.parts = [];
    this.bytes = 0;
    this.queuedBytes += bytes;
    this.writing = this.writing.then(() => (this.aborted ? undefined : writeAll(this.fd, parts, bytes))).then(
      () => {
        this.queuedBytes -= bytes;
        this.onWritten?.(parts);
      },
      (e: Error) => {
        this.queuedBytes -= bytes;
        this.onError(e);
      },
    );
  }

  /** Resolves when every write issued so far is done. */
  public whenWritten(): Promise<void> {
    return this.writing;
  }

  /** Issues no more writes (a failure: the file will be discarded). */
  public abort(): void {
    this.aborted = true;
  }

  /** Closes the file once its writes are done, without flushing (an unexpected error). */
  public async close(): Promise<void> {
    await this.writing;
    fs.closeSync(this.fd);
  }

  /** Writes what is left, closes the temp file and renames it to the `.out`; returns its path. */
  public async commit(): Promise<string> {
    this.flush();
    await this.close();
    fs.renameSync(this.tempPath, this.finalPath);
    cleanupRegistry.releaseDir(this.tempPath);
    return this.finalPath;
  }

  /** Closes and removes the temp file. */
  public async discard(): Promise<void> {
    this.abort();
    await this.close();
    fs.rmSync(this.tempPath, { force: true });
    cleanupRegistry.releaseDir(this.tempPath);
  }
}

/**
 * Writes every part at the file's current position (fs.writev, asynchronous).
 * A short write (the disk filled up) goes on with the rest, so that the
 * error the system gives (ENOSPC) is the one reported.
 */
function writeAll(fd: number, parts: Buffer[], bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.writev(fd, parts, (err, written) => {
      if (err) reject(err);
      else if (written === bytes) resolve();
      else if (written === 0) reject(Object.assign(new Error('no space left on device (nothing more could be written)'), { code: 'ENOSPC' }));
      else writeAll(fd, [Buffer.concat(parts).subarray(written)], bytes - written).then(resolve, reject);
    });
  });
}
