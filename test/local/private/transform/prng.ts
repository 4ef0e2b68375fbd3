/** A deterministic pseudo-random generator (Park-Miller), so test failures reproduce: numbers in [0, 1). */
export function prng(seed: number): () => number {
  let state = (Math.abs(Math.floor(seed)) % 2147483646) + 1;
  return () => {
    state = (state * 48271) % 2147483647;
    return (state - 1) / 2147483646;
  };
}
