/**
 * A Zipf sampler over ranks 0…n−1: rank r is drawn with probability ∝ 1 / (r + 1)^s. The cumulative
 * weights are computed once; each draw is one binary search, so drawing costs nothing next to a read.
 */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`zipf: n must be a positive integer, got ${n}`)
  const cumulative = new Float64Array(n)
  let total = 0
  for (let rank = 0; rank < n; rank++) {
    total += 1 / (rank + 1) ** s
    cumulative[rank] = total
  }
  return () => {
    const u = random() * total
    let low = 0
    let high = n - 1
    while (low < high) {
      const mid = (low + high) >>> 1
      if ((cumulative[mid] as number) <= u) low = mid + 1
      else high = mid
    }
    return low
  }
}
