/**
 * The read path's contract with what it reads from: an origin (S3, or a `wrap` loader) implements
 * {@link Load}, and every read answers a {@link ReadResult}. A leaf: the read path and the origins
 * both depend on it, so no adapter imports the read path itself.
 */
import type { ReadStatus } from './cache-api'
import type { Entry, EntryData } from './entry'
import type { HitLayer } from './events'
import type { Witness } from './store/store'

export interface ReadResult {
  entry: Entry
  status: ReadStatus
  /** For a hit: the layer that answered. */
  layer?: HitLayer
  /**
   * For a load that stored nothing: the generation it began under, which proves the entry unchanged
   * to a dependent (an entry that is stored proves it by its `checksum`).
   */
  generation?: string | undefined
  /**
   * The load's entry was not stored, though it could have been: something it read changed while it ran
   * (a put, an invalidation, an S3 event, a tag invalidated, a dependency changed), or Valkey could not
   * be used. Its caller began before any such change and may take it; a caller that joined the load
   * later may have begun after one, so it reads again instead (once).
   */
  superseded?: boolean | undefined
  /**
   * The turn (`coordination/turn.ts`) in which the command that proves this answer was sent: the GET
   * that found it, or the write that stored it. A caller that joined the read in a later turn may have
   * begun after another process's change that command ran before, so it reads again instead (once).
   * `undefined`: nothing later than the read's start proves it (see `superseded`).
   */
  asOf?: number | undefined
  /**
   * Other callers hold this same entry (they shared one read, or it is in L1): a caller that hands out
   * its bytes gives a copy, so that no caller can change what another gets.
   */
  shared?: boolean | undefined
}

/** What a load from the origin (S3, or a `wrap` loader) produced. The read path's contract: origins implement it. */
export type LoadOutcome =
  /**
   * A body to serve; `cacheable: false` means not to store it (too large, or a `wrap` loader skipped
   * it: served as `bypass`); `ttlMs` replaces the policy's fresh time (a `wrap` loader's `setTtl`).
   */
  | {
      type: 'entry'
      data: Omit<EntryData, 'freshUntil' | 'staleUntil'>
      cacheable: boolean
      ttlMs?: number | undefined
      /** Tags of the entry: `invalidateTags` of any of them removes it. */
      tags?: readonly string[] | undefined
      /** Entries the load read (a `wrap` loader, through its `cache`): removing one removes this entry. */
      reads?: readonly Witness[] | undefined
    }
  /** The origin confirmed the previous entry is current (S3 answered 304 to IfNoneMatch). */
  | { type: 'unchanged' }
  /** The object does not exist (S3 NoSuchKey). */
  | { type: 'missing' }
  /** The origin did not download the object: it is over `maxObjectBytes` (only when the policy asks, for warm-up). */
  | { type: 'oversized'; bytes: number }

/**
 * Loads from the origin; `previous` is the stale entry being revalidated, if any. `signal` aborts when
 * every caller waiting for this load has given up: stop, and throw its reason. `undefined` when no caller
 * can give up (one passed no signal).
 */
export type Load = (previous: Entry | undefined, signal: AbortSignal | undefined) => Promise<LoadOutcome>
