import { BufferPool } from '../../../../src/local/private/transform/buffer-pool';

describe('BufferPool', () => {
  test('GIVEN a buffer handed back WHEN another is taken THEN it is the same memory, as a view of the length asked for', () => {
    const pool = new BufferPool(16, 2);
    const first = pool.take(10);
    expect(first.length).toBe(10);
    expect(pool.owns(first)).toBe(true);
    expect(pool.owns(first.subarray(2, 4))).toBe(true);
    pool.give(first.subarray(0, 3)); // any view returns it
    const second = pool.take(16);
    expect(second.buffer).toBe(first.buffer);
    expect(second.length).toBe(16);
    expect(pool.created).toBe(1);
  });

  test('GIVEN buffers in use WHEN more are taken THEN new ones are made; handed back beyond `keep`, they are dropped', () => {
    const pool = new BufferPool(8, 1);
    const [a, b, c] = [pool.take(8), pool.take(8), pool.take(8)];
    expect(new Set([a.buffer, b.buffer, c.buffer]).size).toBe(3);
    expect(pool.created).toBe(3);
    pool.give(a);
    pool.give(b);
    pool.give(c);
    expect(pool.owns(a)).toBe(true);
    expect(pool.owns(b)).toBe(false); // dropped: no longer the pool's
    expect(pool.take(8).buffer).toBe(a.buffer);
    expect(pool.take(8).buffer).not.toBe(b.buffer);
  });

  test('GIVEN a buffer that is not the pool\'s, or one handed back twice THEN nothing changes', () => {
    const pool = new BufferPool(8, 4);
    pool.give(Buffer.alloc(8));
    const a = pool.take(8);
    pool.give(a);
    pool.give(a);
    const [x, y] = [pool.take(8), pool.take(8)];
    expect(x.buffer).toBe(a.buffer);
    expect(y.buffer).not.toBe(a.buffer);
  });

  test('GIVEN more than the capacity WHEN taken THEN a RangeError that names both sizes', () => {
    expect(() => new BufferPool(8, 1).take(9)).toThrow(/9 bytes do not fit in the pool's buffers of 8 bytes/);
  });
});
