import { CacheConfigError } from './errors'

/** Milliseconds as a number, or a string such as `'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/

/**
 * Parses a {@link Duration} into whole milliseconds (Valkey takes only integers for `PX`, so a fraction
 * is rounded here, at creation, not refused by Valkey on every read); throws {@link CacheConfigError}
 * naming `option` when invalid.
 */
export function toMs(value: Duration, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value)
    throw new CacheConfigError(option, `expected a duration >= 0, got ${value}`)
  }
  const match = typeof value === 'string' ? PATTERN.exec(value.trim()) : null
  if (!match)
    throw new CacheConfigError(
      option,
      `expected a number of ms or a string like '30s', got ${JSON.stringify(value)}`,
    )
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS])
}

/**
 * A duration that must be more than 0 (and less than `maxMs`, when given), in milliseconds.
 * Throws {@link CacheConfigError} naming `option`.
 */
export function positiveMs(value: Duration, option: string, maxMs = Number.POSITIVE_INFINITY): number {
  const ms = toMs(value, option)
  if (ms > 0 && ms < maxMs) return ms
  const below = maxMs < Number.POSITIVE_INFINITY ? ` and less than ${maxMs} ms` : ''
  throw new CacheConfigError(option, `expected more than 0 ms${below}, got ${ms}`)
}
