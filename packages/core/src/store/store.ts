import { randomBytes } from 'node:crypto'
import type { EntryKeys } from '../keys'

/**
 * The generation key outlives any load that could have read it (loads are bounded by `timeouts.s3`).
 * The sequencer key lives as long: S3 delivers events within minutes, retries included.
 */
export const GENERATION_TTL_MS = 24 * 3_600_000

/** Valkey's answer to a PX it cannot take; both stores refuse such a ttl or lease with it. */
export const NOT_AN_INTEGER = 'ERR value is not an integer or out of range'

/**
 * A ttl or lease as a PX argument: whole milliseconds above 0 (the caller rounds, see `entryTimes`).
 * Anything else (a fraction, 0, negative, NaN, ±Infinity) throws {@link NOT_AN_INTEGER}, Valkey's own
 * answer, in both stores and before anything is written (Valkey would refuse it only at the command
 * that takes it, after a script's earlier writes).
 */
export function pxMs(ms: number): number {
  if (!(Number.isSafeInteger(ms) && ms > 0)) throw new Error(NOT_AN_INTEGER)
  return ms
}

/**
 * The value of a generation key created at {@link Store.begin}: a random integer of 60 bits plus 2
 * (decimal, so INCR works on it), so a counter recreated after an eviction or expiry does not repeat
 * a value a load in flight saw (one chance in 2^60), and never '0' or '1'.
 */
export function freshGeneration(): string {
  return String((randomBytes(8).readBigUInt64BE() >> 4n) + 2n)
}

/**
 * Where the tag log stood when a load began (`#born` and `#epoch`, see `scripts.ts`; the load creates
 * the log when absent). `undefined` only from a store that could not tell, which refuses the commit.
 */
export interface TagMark {
  born: string | undefined
  epoch: string | undefined
}

/** What proves that an entry a load read is still the one it read: its checksum, or its generation. */
export interface Witness {
  keys: EntryKeys
  /** The entry's checksum (bytes 20–23), for an entry read from Valkey or L1 or stored by the load. */
  checksum?: number | undefined
  /** The generation the load began under, for a load that stored nothing. */
  generation?: string | undefined
  /** Until when the entry read was fresh, then servable stale (ms): a value built from it is no fresher. */
  freshUntil?: number | undefined
  staleUntil?: number | undefined
}

/** What a removal did: whether the entry existed, and the entry keys of its dependents (to remove too). */
export interface Removed {
  removed: boolean
  dependents: string[]
}

/** How long a dependents-set member outlives its entry: a margin for clock skew between writers. */
export const MEMBER_MARGIN_MS = 60_000

/** What a loader learns before it goes to the origin. */
export interface LoadTicket {
  /**
   * The generation when the load began; a write is accepted only while the generation key still
   * holds it (not after a bump, nor once the key was evicted or expired).
   */
  generation: string
  /** Whether this caller holds the stampede lease. */
  leased: boolean
  /** The tag log when the load began: a tagged load commits only if none of its tags was invalidated since. */
  tagMark: TagMark
}

/** What a subscription to the change channel tells its listener (see `coherence/`). */
export interface ChangeListener {
  /** A message published on the channel, as text. */
  message(text: string): void
  /** The subscription is in place (again): every message published from now on arrives, in order. */
  subscribed(): void
  /** The subscription is gone (its connection closed, the server dropped it): messages are missed until `subscribed`. */
  lost(error: Error | undefined): void
}

/**
 * How often a subscription proves it hears while the process runs: iovalkey's connection answers a
 * `PING`; a GLIDE client, which subscribes again by itself after a reconnect or a failover and does not
 * say so, has the change counter read (see coherence.ts). A connection the network forgot without a
 * reset, or a message sent before GLIDE subscribed again, is found this way (and the first read after
 * a freeze finds it sooner).
 */
export const HEARTBEAT_MS = 1000

/** A subscription held on a connection of its own, made again after every loss until it is closed. */
export interface Subscription {
  /**
   * The connection did not deliver a message the counter says was published: drops it as lost (the
   * listener hears `lost`) and subscribes again on a new one. Absent where the subscription shares the
   * connection that read the counter (GLIDE): that connection has just answered; its listener reads the
   * counter every {@link HEARTBEAT_MS} instead.
   */
  renew?(reason: Error): void
  close(): Promise<void>
}

/**
 * The small interface behind which Valkey and the in-process memory store sit.
 * Both run the same contract test suite. Every write that a loader makes is
 * conditional on the generation it saw at {@link Store.begin}: a `put` or
 * `invalidate` that happens during a load can never be undone by it (no stale set), and
 * neither can an eviction of the generation key (the write is then refused).
 * Every ttl and lease goes through {@link pxMs}.
 */
export interface Store {
  /** Reads an entry: exactly one command (GET) on Valkey. */
  get(key: string): Promise<Buffer | null>
  /**
   * Reads the generation (creating the generation key with {@link freshGeneration} when absent) and,
   * when `leaseMs` is not 0, tries to take the lease for `token`; reads the tag log's mark at `tagLog`
   * (creating the log when absent).
   * One round trip (two commands, sent together).
   */
  begin(keys: EntryKeys, token: string, leaseMs: number, tagLog: string): Promise<LoadTicket>
  /** Writes `value` for `ttlMs` if the generation key still holds `generation`, and releases `token`'s lease. Resolves to whether it wrote. */
  commit(keys: EntryKeys, generation: string, token: string, value: Buffer, ttlMs: number): Promise<boolean>
  /**
   * A 304 revalidation: rewrites the entry's 16 time bytes in place and its TTL, only if the generation
   * key still holds `generation` and the stored entry is the one revalidated (its checksum, bytes 20–23, is `checksum`;
   * `undefined` matches nothing), then releases `token`'s lease. Resolves to whether it wrote.
   */
  touch(
    keys: EntryKeys,
    generation: string,
    token: string,
    checksum: number | undefined,
    times: Buffer,
    ttlMs: number,
  ): Promise<boolean>
  /** Releases `token`'s lease, if it still holds it. */
  release(keys: EntryKeys, token: string): Promise<void>
  /**
   * For `put`, before it writes S3: the generation (creating the generation key when absent), which
   * its {@link Store.replace} then requires.
   */
  generation(keys: EntryKeys): Promise<string>
  /**
   * For `put`: writes `value` for `ttlMs` if the generation key still holds `generation` (what the put
   * read before it wrote S3), else removes the entry; bumps the generation (if its key exists) and takes
   * the entry's dependents (built from the old value) either way. A put whose command timed out but runs
   * later can so never overwrite a newer put's entry.
   */
  replace(
    keys: EntryKeys,
    generation: string,
    value: Buffer,
    ttlMs: number,
  ): Promise<Removed & { written: boolean }>
  /** Bumps the generation (if its key exists), removes the entry and takes its dependents. */
  purge(keys: EntryKeys): Promise<Removed>
  /**
   * {@link purge} for an S3 event: unless `sequencer` (uppercase hex) is certainly not newer than the
   * last one applied to this object (the same length and not greater); an applied sequencer is
   * recorded. `removed` tells whether it applied.
   */
  applyEvent(keys: EntryKeys, sequencer: string): Promise<Removed>
  /**
   * Adds `member` (an entry key) to the sorted set `set` until `ttlMs` from now, unless the set already
   * holds `maxMembers` live members. With `witness`, only while that entry is still the one read.
   * Resolves to whether it was added. The set itself has no TTL (an eviction must never take it
   * before its members); it is listed for {@link Store.sweepSets}.
   */
  enlist(set: string, member: string, ttlMs: number, maxMembers: number, witness?: Witness): Promise<boolean>
  /**
   * Removes up to `limit` of the dependents sets listed in the sweep index `index` whose members have
   * all expired (sets have no TTL: see `scripts.ts`). Resolves to how many it removed.
   */
  sweepSets(index: string, limit: number): Promise<number>
  /** Takes the live members of `set` (and removes it). */
  take(set: string): Promise<string[]>
  /** Logs an invalidation of the tags `tagIds` in the tag log at `tagLog`, keeping the last `maxLog` tags. */
  logTags(tagLog: string, tagIds: readonly string[], maxLog: number): Promise<void>
  /** Whether none of `tagIds` was invalidated since `mark` (`false` when the log cannot tell: gone, or born again). */
  tagsUnchanged(tagLog: string, mark: TagMark, tagIds: readonly string[]): Promise<boolean>
  /**
   * The `maxmemory-policy` of every primary, from `INFO memory` (an empty list where the server does
   * not say, or the user may not ask).
   */
  evictionPolicies(): Promise<string[]>
  /**
   * Publishes `message` on `channel` as "<number> <message>", numbering it with the change counter at
   * `counter` (one script on the channel's primary). Resolves to the number. Absent from the memory
   * store: a process alone has nobody to tell.
   */
  publishChange?(counter: string, channel: string, message: string): Promise<number>
  /** The number of the last change published under `counter` (read on its primary, never a replica). */
  changeCount?(counter: string): Promise<number>
  /** Subscribes `listener` to `channel` (on a cluster, a sharded channel, on the primary serving its slot). */
  subscribe?(channel: string, listener: ChangeListener): Subscription
  /** Resolves once every node the store sends commands to answers a `PING` (the circuit breaker's probe). */
  ping(): Promise<void>
  /**
   * The last `ping` got no answer within the bound: drops the connections it still waits on, so that
   * the client makes new ones (a connection may be half-open, forgotten by the network with no reset,
   * and then nothing would ever end it). Only connections the store opened itself.
   */
  dropUnanswered?(): void
  /** Opens the store's connections ahead of the first request (see `S3Cache.connect`). */
  connect(): Promise<void>
  /** Ends connections the store opened itself, within a bound. */
  close(): Promise<void>
}
