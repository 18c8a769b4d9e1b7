import type { EntryKeys } from '../keys'

/**
 * The generation key outlives any load that could have read it (loads are bounded by `timeouts.s3`).
 * The sequencer key lives as long: S3 delivers events within minutes, retries included.
 */
export const GENERATION_TTL_MS = 24 * 3_600_000

/** What a loader learns before it goes to the origin. */
export interface LoadTicket {
  /** The generation when the load began; a write is accepted only while it is unchanged. */
  generation: string
  /** Whether this caller holds the stampede lease. */
  leased: boolean
}

/**
 * The small interface behind which Valkey and the in-process memory store sit.
 * Both run the same contract test suite. Every write that a loader makes is
 * conditional on the generation it saw at {@link Store.begin}: a `put` or
 * `invalidate` that happens during a load can never be undone by it (no stale set).
 */
export interface Store {
  /** Reads an entry: exactly one command (GET) on Valkey. */
  get(key: string): Promise<Buffer | null>
  /** Reads the generation and, when `leaseMs > 0`, tries to take the lease for `token`. One round trip. */
  begin(keys: EntryKeys, token: string, leaseMs: number): Promise<LoadTicket>
  /** Writes `value` for `ttlMs` if the generation is unchanged, and releases `token`'s lease. Resolves to whether it wrote. */
  commit(keys: EntryKeys, generation: string, token: string, value: Buffer, ttlMs: number): Promise<boolean>
  /** Rewrites the entry's 16 time bytes in place (a 304 revalidation) if the generation is unchanged and the entry exists. */
  touch(keys: EntryKeys, generation: string, token: string, times: Buffer, ttlMs: number): Promise<boolean>
  /** Releases `token`'s lease, if it still holds it. */
  release(keys: EntryKeys, token: string): Promise<void>
  /** For `put`: bumps the generation and writes `value` for `ttlMs`. */
  replace(keys: EntryKeys, value: Buffer, ttlMs: number): Promise<void>
  /**
   * Bumps the generation and removes the entry. With `sequencer` (an S3 event's, uppercase hex),
   * only if it is newer than the last one applied to this object, which it then records.
   * Resolves to whether it applied (always `true` without `sequencer`).
   */
  invalidate(keys: EntryKeys, sequencer?: string): Promise<boolean>
  /** Ends connections the store opened itself. */
  close(): Promise<void>
}
