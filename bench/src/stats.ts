/** Value at quantile `q` (0–1) of an ascending array, by nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[index] as number
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  )
}

export interface Spread {
  min: number
  max: number
  /** (max − min) / median, as a fraction. */
  relative: number
}

export function spread(values: readonly number[]): Spread {
  const min = Math.min(...values)
  const max = Math.max(...values)
  const mid = median(values)
  return { min, max, relative: mid === 0 ? 0 : (max - min) / mid }
}

/** Percentiles of one latency sample, µs. */
export interface Distribution {
  p50: number
  p75: number
  p90: number
  p95: number
  p99: number
  p999: number
  max: number
}

export function distribution(latenciesMs: Float64Array): Distribution {
  const sorted = Float64Array.from(latenciesMs).sort()
  const us = (q: number) => round(quantile(sorted, q) * 1000)
  return {
    p50: us(0.5),
    p75: us(0.75),
    p90: us(0.9),
    p95: us(0.95),
    p99: us(0.99),
    p999: us(0.999),
    max: round((sorted[sorted.length - 1] ?? Number.NaN) * 1000),
  }
}

/** Rounds to 3 significant digits past the point for small numbers, whole numbers for large ones. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value
  const abs = Math.abs(value)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3
  const f = 10 ** digits
  return Math.round(value * f) / f
}
