import type { S3Client } from '@aws-sdk/client-s3'
import type { Duration } from '../duration'
import { CacheConfigError } from '../errors'
import { resolveOptions, type S3CacheOptions } from '../options'
import { type OptionSpec, type ParsedCommand, UsageError } from './args'

/** The cache options a command that stores entries takes as flags, to store them as the application would. */
export type CacheFlags = Pick<S3CacheOptions, 'ttl' | 'staleTtl' | 'maxObjectBytes'>

/** Each flag, and the cache option it sets. */
const OPTION_OF = {
  ttl: 'ttl',
  'stale-ttl': 'staleTtl',
  'max-object-bytes': 'maxObjectBytes',
} as const satisfies Record<string, keyof CacheFlags>
type FlagName = keyof typeof OPTION_OF

export const CACHE_FLAG_OPTIONS: Record<FlagName, OptionSpec> = {
  ttl: {
    type: 'string',
    value: 'duration',
    description: "fresh time of the entries stored, as the cache's ttl: ms, '30s', '5m'… (default 5m)",
  },
  'stale-ttl': {
    type: 'string',
    value: 'duration',
    description: 'then servable stale for this long, as staleTtl (default 0)',
  },
  'max-object-bytes': {
    type: 'string',
    value: 'bytes',
    description: 'larger objects are skipped, as maxObjectBytes (default 1048576)',
  },
}

/** A duration as the library takes it: a number of ms (`"30000"` is one), or a string such as `"30s"`. */
const duration = (text: string): Duration => (/^\d+(\.\d+)?$/.test(text) ? Number(text) : (text as Duration))

/** What the entries a command stores get: the flags' values, or the cache's defaults. */
export interface StoredAs {
  ttlMs: number
  staleTtlMs: number
  maxObjectBytes: number
}

/**
 * Reads the flags given as cache options and checks them with the cache's own rules, before anything
 * connects: a bad one is a {@link UsageError} naming the flag. Flags not given are left out of `flags`,
 * so the cache's defaults apply; `storedAs` says what they come to.
 */
export function cacheFlags(
  values: ParsedCommand['values'],
  command: string,
  s3: S3Client,
  bucket: string,
): { flags: CacheFlags; storedAs: StoredAs } {
  const given = (flag: FlagName) => {
    const value = values[flag]
    return typeof value === 'string' ? value.trim() : undefined
  }
  const flags: CacheFlags = {}
  const ttl = given('ttl')
  const staleTtl = given('stale-ttl')
  const maxObjectBytes = given('max-object-bytes')
  if (ttl !== undefined) flags.ttl = duration(ttl)
  if (staleTtl !== undefined) flags.staleTtl = duration(staleTtl)
  // Anything but digits is no integer: NaN, which the cache refuses.
  if (maxObjectBytes !== undefined)
    flags.maxObjectBytes = /^\d+$/.test(maxObjectBytes) ? Number(maxObjectBytes) : Number.NaN
  try {
    const resolved = resolveOptions({ s3, bucket, ...flags })
    const storedAs = {
      ttlMs: resolved.ttlMs,
      staleTtlMs: resolved.staleMs,
      maxObjectBytes: resolved.maxObjectBytes,
    }
    return { flags, storedAs }
  } catch (error) {
    const flag = Object.entries(OPTION_OF).find(
      ([, option]) => error instanceof CacheConfigError && error.option === option,
    )?.[0] as FlagName | undefined
    if (!flag || !(error instanceof CacheConfigError)) throw error
    // The cache's reason without its option name, and without the value it quotes as a number.
    const reason = error.message.replace(`Invalid option "${error.option}": `, '').replace(/, got .*$/, '')
    throw new UsageError(`${command}: bad --${flag} ${JSON.stringify(values[flag])}: ${reason}`, command)
  }
}
