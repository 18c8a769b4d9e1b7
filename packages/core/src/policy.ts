import { type Duration, toMs } from './duration'

/** How one read stores what it loads. */
export interface ReadPolicy {
  ttlMs: number
  staleMs: number
  negativeTtlMs: number
  /** Fraction by which fresh times are randomly shortened. */
  jitter: number
  /** Skip L1 and Valkey and load (the result is stored). */
  forceRefresh: boolean
  /** Do not download an object over `maxObjectBytes`: answer `bypass` with an empty body (warm-up only). */
  skipOversized: boolean
}

/** The cache-wide defaults a policy starts from (the resolved options). */
export type PolicyDefaults = Pick<ReadPolicy, 'ttlMs' | 'staleMs' | 'negativeTtlMs' | 'jitter'>

/** Per-call overrides: `get`'s `ttl`, `wrap`'s `ttl` and `staleTtl`, `put`'s `ttl`. */
export interface PolicyOverrides {
  ttl?: Duration | undefined
  staleTtl?: Duration | undefined
  forceRefresh?: boolean | undefined
  skipOversized?: boolean | undefined
}

/** Whether a call's options override anything (most calls pass none, and can share the cache's own policy). */
export function overridesPolicy(overrides: PolicyOverrides): boolean {
  return (
    overrides.ttl !== undefined ||
    overrides.staleTtl !== undefined ||
    overrides.forceRefresh !== undefined ||
    overrides.skipOversized !== undefined
  )
}

/** The policy of one call: the cache's defaults with the call's overrides (validated, `CacheConfigError`). */
export function readPolicy(defaults: PolicyDefaults, overrides: PolicyOverrides = {}): ReadPolicy {
  return {
    ttlMs: overrides.ttl === undefined ? defaults.ttlMs : toMs(overrides.ttl, 'ttl'),
    staleMs: overrides.staleTtl === undefined ? defaults.staleMs : toMs(overrides.staleTtl, 'staleTtl'),
    negativeTtlMs: defaults.negativeTtlMs,
    jitter: defaults.jitter,
    forceRefresh: overrides.forceRefresh === true,
    skipOversized: overrides.skipOversized === true,
  }
}

/** When an entry written at `now` stops being fresh, and then stops being servable stale. */
export interface EntryTimes {
  freshUntil: number
  staleUntil: number
  /** How long Valkey keeps it: until `staleUntil`, in whole ms (at least 1). */
  ttlMs: number
}

/**
 * The times of an entry written at `now`: a negative entry (a cached NoSuchKey) lives `negativeTtlMs`
 * and is never served stale. Jitter only shortens, so an entry is never fresh longer than its ttl,
 * and keys written together expire apart.
 */
export function entryTimes(policy: ReadPolicy, now: number, negative = false): EntryTimes {
  const ttlMs = negative ? policy.negativeTtlMs : policy.ttlMs
  const freshUntil = now + ttlMs * (1 - policy.jitter * Math.random())
  const staleUntil = freshUntil + (negative ? 0 : policy.staleMs)
  return { freshUntil, staleUntil, ttlMs: Math.max(1, Math.ceil(staleUntil - now)) }
}
