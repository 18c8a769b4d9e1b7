import { CacheConfigError } from './errors'

/**
 * Milliseconds as a number, or a string such as `'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`. Lifetimes
 * are at most {@link MAX_TTL_MS} (365 days), waits at most {@link MAX_TIMER_MS} (about 24.8 days).
 */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`

/**
 * The longest an entry, or anything the cache keeps in Valkey, may be told to live (`ttl`, `staleTtl`,
 * `negativeTtl`, a call's `ttl`, `setTtl`, `l1.ttl`, `lock.ttl`): 365 days. Far below what Valkey's
 * `PX` takes, and every time computed from it stays an exact integer.
 */
export const MAX_TTL_MS = 365 * 86_400_000

/**
 * The longest the cache may be told to wait for something (`timeouts.*`, `lock.wait`, connection
 * timeouts): 2^31 - 1 ms, about 24.8 days, beyond which Node.js fires a timer at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/

/**
 * Parses a {@link Duration} into whole milliseconds (Valkey takes only integers for `PX`, so a fraction
 * is rounded here, at creation, not refused by Valkey on every read), from 0 to `maxMs`; throws
 * {@link CacheConfigError} naming `option` when invalid or too long.
 */
export function toMs(value: Duration, option: string, maxMs = MAX_TTL_MS): number {
  let ms: number
  if (typeof value === 'number') {
    if (!(Number.isFinite(value) && value >= 0))
      throw new CacheConfigError(option, `expected a duration >= 0, got ${value}`)
    ms = Math.round(value)
  } else {
    const match = typeof value === 'string' ? PATTERN.exec(value.trim()) : null
    if (!match)
      throw new CacheConfigError(
        option,
        `expected a number of ms or a string like '30s', got ${JSON.stringify(value)}`,
      )
    ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS])
  }
  if (ms > maxMs) throw new CacheConfigError(option, `expected at most ${maxMs} ms, got ${ms}`)
  return ms
}

/**
 * A duration that must be more than 0 (and at most `maxMs`), in milliseconds.
 * Throws {@link CacheConfigError} naming `option`.
 */
export function positiveMs(value: Duration, option: string, maxMs = MAX_TTL_MS): number {
  const ms = toMs(value, option, maxMs)
  if (ms > 0) return ms
  throw new CacheConfigError(option, `expected more than 0 ms, got ${ms}`)
}
