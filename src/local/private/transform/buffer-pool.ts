/**
 * Reused buffers of one size for a transform job (INTERNAL): request bodies
 * and answers of up to MaxPayloadInMB. A MultiRecord job moves several bytes
 * of fresh buffers per byte of input (read, body, answer); left to the
 * garbage collector, tens of MB of them wait for a collection at any time.
 * Taken from a pool and handed back once sent or written, they are the same
 * few buffers all job long, and memory stays at what is in flight.
 *
 * A buffer is handed out as a view of its first `length` bytes; handing back
 * any view of it returns it. The pool holds what was handed back, at most
 * `keep` buffers; it never limits what is handed out (the transform window
 * does).
 */
export class BufferPool {
  /** The pool's buffers by their memory, handed out or not. */
  private readonly owned = new Map<ArrayBufferLike, Buffer>();
  private readonly free: Buffer[] = [];
  /** Buffers created (for tests and benchmarks). */
  public created = 0;

  /**
   * @param capacity the size of every buffer
   * @param keep buffers kept for reuse at most; more handed back are dropped
   */
  constructor(public readonly capacity: number, private readonly keep: number) {}

  /** A view of `length` bytes (at most the capacity), uninitialised. */
  public take(length: number): Buffer {
    if (length > this.capacity) throw new RangeError(`${length} bytes do not fit in the pool's buffers of ${this.capacity} bytes`);
    let buffer = this.free.pop();
    if (!buffer) {
      buffer = Buffer.allocUnsafeSlow(this.capacity);
      this.owned.set(buffer.buffer, buffer);
      this.created++;
    }
    return buffer.subarray(0, length);
  }

  /** Whether `view` is (a view of) one of the pool's buffers. */
  public owns(view: Buffer): boolean {
    return this.owned.has(view.buffer);
  }

  /**
   * Hands back the buffer that `view` is a view of; nothing for a buffer
   * that is not the pool's. The caller must hold no other view of it.
   */
  public give(view: Buffer): void {
    const buffer = this.owned.get(view.buffer);
    if (!buffer || this.free.includes(buffer)) return;
    if (this.free.length < this.keep) {
      this.free.push(buffer);
    } else {
      this.owned.delete(buffer.buffer);
    }
  }
}
