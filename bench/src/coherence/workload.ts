import type { S3CacheOptions } from '@valkey-s3-cache/core'
import { makeDocValue } from '../payload'

/** The objects every process reads: key rank 0 is the most read (Zipf), sizes alternate 1 and 10 KiB. */
export const KEY_COUNT = 1000
export const ZIPF_S = 1.0
export const WRITE_RATIO = 0.01
export const PROCESSES = 4
/**
 * A read that began this long after a newer write resolved, and answered older, is stale: the bound
 * the library states for another process's L1 (docs/coherence.md §5), one delivery of 100 ms plus the
 * 50 ms the invariant checker's model allows for timers. A process notices a stopped event loop only
 * once its 100 ms tick is more than 50 ms late, so a read up to 150 ms after a change may still
 * answer what was before it, within that bound.
 */
export const STALE_MARGIN_MS = 100 + 50
export const KEY_PREFIX = 's3c:'
/** The change channel of {@link KEY_PREFIX} (as core names it: `<keyPrefix>{l1}`). */
export const CHANGE_CHANNEL = `${KEY_PREFIX}{l1}`

export const keyOf = (rank: number): string => `coherence/doc-${String(rank).padStart(4, '0')}.json`
export const sizeKiBOf = (rank: number): number => (rank % 2 === 0 ? 1 : 10)

/**
 * The JSON of one object at one version: a payload.ts catalogue document (its own seed per key) with a
 * `version` field first. Version 0 is what the parent seeds; writes use ids unique across processes.
 */
export function bodyOf(rank: number, version: number): string {
  return JSON.stringify({ version, ...makeDocValue(sizeKiBOf(rank) * 1024, rank + 1) })
}

export type ModeName = 'l2' | 'l1-coherent' | 'l1-coherent-1m' | 'l1-coherent-5s' | 'l1-ttl-only'

export interface Mode {
  name: ModeName
  description: string
  options: Pick<S3CacheOptions, 'l1' | 'coherence'>
}

// The L1 modes keep L1's default maxBytes (16 MiB, room for all 1,000 objects); the coherent ones
// differ only in the fallback l1.ttl.
export const MODES: Mode[] = [
  {
    name: 'l2',
    description: 'L2 only (no L1), coherence on: changes are published, nobody listens',
    options: { l1: false, coherence: true },
  },
  {
    name: 'l1-coherent',
    description: "l1: { ttl: '1h' }, coherence on",
    options: { l1: { ttl: '1h' }, coherence: true },
  },
  {
    name: 'l1-coherent-1m',
    description: "l1: { ttl: '1m' }, coherence on",
    options: { l1: { ttl: '1m' }, coherence: true },
  },
  {
    name: 'l1-coherent-5s',
    description: "l1: { ttl: '5s' }, coherence on",
    options: { l1: { ttl: '5s' }, coherence: true },
  },
  {
    name: 'l1-ttl-only',
    description: "l1: { ttl: '5s' }, coherence: false: other processes' changes are seen within l1.ttl",
    options: { l1: { ttl: '5s' }, coherence: false },
  },
]

export function modeNamed(name: string): Mode {
  const mode = MODES.find((m) => m.name === name)
  if (!mode) throw new Error(`unknown coherence mode ${name}`)
  return mode
}

/** Milliseconds since the epoch, sub-millisecond, comparable across the processes of one machine. */
export const now = (): number => performance.timeOrigin + performance.now()
