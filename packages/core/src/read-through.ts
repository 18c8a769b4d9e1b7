import type { Coherence } from './coherence'
import { Codec, type CompressionSettings } from './compression'
import { LEASE_GONE, leaseToken, waitForEntry } from './coordination/lease'
import { SingleFlight } from './coordination/single-flight'
import { currentTurn } from './coordination/turn'
import { withDeadline } from './deadline'
import type { Dependents } from './dependents'
import {
  CHECKSUM_OFFSET,
  CorruptEntryError,
  decodeEntry,
  type Entry,
  EntryKind,
  encodeEntry,
  encodeTimes,
  OtherKeyEntryError,
} from './entry'
import { ValkeyConnectionError } from './errors'
import type { CacheEventListener } from './events'
import type { CacheTarget } from './keys'
import type { L1Cache } from './l1'
import { type EntryTimes, entryTimes, type ReadPolicy } from './policy'
import type { Load, LoadOutcome, ReadResult } from './read-contract'
import { FAILED, type GuardedStore } from './store/guarded'
import type { LoadTicket, Witness } from './store/store'
import { tagsOf } from './tags'

export interface ReadSettings {
  store: GuardedStore
  l1: L1Cache | undefined
  /** `undefined` when nobody listens: a read then measures nothing and builds no event. */
  emit: CacheEventListener | undefined
  lock: { ttlMs: number; waitMs: number } | false
  compression: CompressionSettings | false
  /** How long a read of a stale entry waits for its revalidation before answering stale. */
  revalidateWaitMs: number
  /** Enlists tagged and dependent entries before they are written. */
  dependents: Dependents
  /** Publishes this process's changes, and tells whether L1 has heard every other's (`undefined`: off). */
  coherence: Coherence | undefined
}

const DONE = Promise.resolve()

/**
 * When the read began: the local-write count then (see `localWrites`), the time (ms, for L1), and
 * the turn (its GET is sent in it, see `ReadResult.asOf`).
 */
interface Since {
  epoch: number
  at: number
  turn: number
}

/**
 * A value's times, no later than those of the entries it was built from (a `wrap` loader's reads):
 * data read from an object that had 100 ms of freshness left is fresh for 100 ms more, not a whole ttl.
 */
function builtFrom(times: EntryTimes, reads: readonly Witness[] | undefined): EntryTimes {
  if (!reads?.length) return times
  let { freshUntil, staleUntil } = times
  for (const read of reads) {
    if (read.freshUntil !== undefined) freshUntil = Math.min(freshUntil, read.freshUntil)
    if (read.staleUntil !== undefined) staleUntil = Math.min(staleUntil, read.staleUntil)
  }
  staleUntil = Math.max(staleUntil, freshUntil)
  const ttlMs = Math.max(1, Math.min(times.ttlMs, Math.ceil(staleUntil - Date.now())))
  return { freshUntil, staleUntil, ttlMs }
}

/** The answer for an object the origin did not download (`skipOversized`): no body, nothing stored. */
function notDownloaded(): Entry {
  const body = new Uint8Array(0)
  return {
    kind: EntryKind.object,
    body,
    metadata: {},
    freshUntil: 0,
    staleUntil: 0,
    storedBytes: 0,
    codec: Codec.none,
  }
}

/**
 * The read path: L1 → one Valkey GET → origin, with single-flight per process, a lease
 * across processes, stale-while-revalidate within a bounded wait, and conditional writes.
 */
export class ReadThrough {
  private readonly settings: ReadSettings
  private readonly flights = new SingleFlight<ReadResult>((result) => ({ ...result, shared: true }))
  /**
   * Counts the changes this process made or heard of (its puts and invalidations, removals, other
   * processes' changes, gaps in hearing them). A read remembers the count it began under: it joins only
   * flights begun under the same count, and fills L1 only while the count is unchanged, so no read that
   * starts after a change resolves (or is heard) can see what was there before it.
   */
  private localWrites = 0

  constructor(settings: ReadSettings) {
    this.settings = settings
  }

  /**
   * Called when a local put or invalidate of `target` has resolved (or failed): see {@link localWrites}.
   * L1 forgets it and whatever it holds that was built from it; other processes are told (resolves
   * once they were, or that failed).
   */
  wrote(target: CacheTarget): Promise<void> {
    this.localWrites++
    this.settings.l1?.delete(target.id)
    this.settings.l1?.forget([target.keys.entry])
    return this.settings.coherence?.publish([target.keys.entry]) ?? DONE
  }

  /**
   * Called when a removal by tag or dependency has resolved: L1 forgets the entries at `keys` (entry
   * keys, and the set keys of tags), and what it holds built from them; other processes are told.
   */
  removed(keys: Iterable<string>): Promise<void> {
    const list = [...keys]
    this.localWrites++
    this.settings.l1?.forget(list)
    return this.settings.coherence?.publish(list) ?? DONE
  }

  /** Another process changed the entries at `keys` (every entry: `undefined`): L1 forgets them. */
  heard(keys: readonly string[] | undefined): void {
    this.localWrites++
    if (keys === undefined) this.settings.l1?.clear()
    else if (keys.length > 0) this.settings.l1?.forget(keys)
  }

  /**
   * Not async: without a listener, a read is L1's answer or the flight's own promise, with no promise
   * of its own around it (concurrent callers of one key all wait on that one promise).
   */
  read(
    target: CacheTarget,
    policy: ReadPolicy,
    load: Load,
    signal?: AbortSignal,
    pastL1 = false,
  ): Promise<ReadResult> {
    const { l1, emit, coherence } = this.settings
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (l1 && !policy.forceRefresh && !pastL1) {
      // After a gap in hearing other processes' changes, L1 answers only once that is confirmed.
      const hearing = coherence ? coherence.hearing() : true
      if (hearing !== true) {
        if (hearing !== false) return hearing.then((heard) => this.read(target, policy, load, signal, !heard))
        pastL1 = true
      }
    }
    const started = emit ? performance.now() : 0
    const epoch = this.localWrites
    if (l1 && !policy.forceRefresh && !pastL1) {
      const entry = l1.get(target.id)
      if (entry) {
        emit?.({
          type: 'hit',
          layer: 'l1',
          key: target.key,
          bucket: target.bucket,
          durationMs: performance.now() - started,
        })
        return Promise.resolve({ entry, status: 'hit', layer: 'l1', shared: true })
      }
    }
    // Reads that may answer differently never share a flight: a forced refresh, a warm-up that skips large objects.
    const flightKey =
      policy.forceRefresh || policy.skipOversized
        ? `${target.id}\0${policy.forceRefresh ? 'refresh' : ''}\0${policy.skipOversized ? 'warm' : ''}`
        : target.id
    const joining = this.flights.joins(flightKey, epoch)
    const readShared = (shared: AbortSignal | undefined) =>
      this.readShared(target, policy, load, { epoch, at: Date.now(), turn: currentTurn() }, shared)
    let flight = this.flights.run(flightKey, epoch, readShared, signal)
    // A caller that joins a running read may have begun after another process's change that the read's
    // answer predates (its GET ran first; its reply came late, or waited while the event loop was busy):
    // unless the answer was proven in this caller's turn or later, it reads again (once). So does one
    // that joined a load which could not store its answer (a change came while it ran).
    if (joining) {
      const began = currentTurn()
      flight = flight.then((result) =>
        result.superseded || (result.asOf ?? began) < began
          ? this.flights.run(flightKey, epoch, readShared, signal)
          : result,
      )
    }
    return emit ? this.reported(flight, target, started, emit) : flight
  }

  /** The read's event once its flight settles (only when someone listens). */
  private async reported(
    flight: Promise<ReadResult>,
    target: CacheTarget,
    started: number,
    emit: CacheEventListener,
  ): Promise<ReadResult> {
    const result = await flight
    const base = { key: target.key, bucket: target.bucket, durationMs: performance.now() - started }
    if (result.status === 'hit') emit({ ...base, type: 'hit', layer: 'l2' })
    else if (result.status === 'miss') emit({ ...base, type: 'miss' })
    else if (result.status === 'bypass')
      emit({ ...base, type: 'bypass', bytes: result.entry.body.byteLength })
    return result
  }

  /**
   * Puts an entry in L1 unless a change (this process's, or one heard from another) came since the
   * read that produced it began, or this process may have missed one (see `coherence.ts`). The item
   * lives `l1.ttl` from when that read began, so a read held up (a freeze, a slow reply) cannot stretch
   * the bound that holds for a change whose message was lost.
   */
  private fill(target: CacheTarget, entry: Entry, since: Since): void {
    const { l1, coherence } = this.settings
    if (l1 && since.epoch === this.localWrites && (coherence?.heard() ?? true))
      l1.set(target, entry, since.at)
  }

  /**
   * The read shared by concurrent callers; `signal` aborts when every one of them has given up
   * (`undefined` when a caller without a signal takes part: then nobody can abort it).
   */
  private async readShared(
    target: CacheTarget,
    policy: ReadPolicy,
    load: Load,
    since: Since,
    signal: AbortSignal | undefined,
  ): Promise<ReadResult> {
    if (!policy.forceRefresh) {
      const stored = await this.readStored(target)
      const now = Date.now()
      if (stored && now < stored.freshUntil) {
        this.fill(target, stored, since)
        return { entry: stored, status: 'hit', layer: 'l2', asOf: since.turn }
      }
      if (stored && now < stored.staleUntil)
        return this.revalidate(target, policy, load, stored, since, signal)
    }
    return this.loadAndStore(target, policy, load, undefined, since, signal)
  }

  /**
   * One GET; a failed, missing or corrupt entry reads as `undefined` (corrupt ones are reported and later
   * overwritten), and so does another key's entry: a reply meant for another command, reported as a
   * failed read.
   */
  private async readStored(target: CacheTarget): Promise<Entry | undefined> {
    const raw = await this.settings.store.call('valkey-read', target.key, (s) => s.get(target.keys.entry))
    if (raw === FAILED || raw === null) return undefined
    try {
      return decodeEntry(raw, target.keys.entry)
    } catch (error) {
      if (error instanceof OtherKeyEntryError) {
        this.settings.emit?.({
          type: 'error',
          operation: 'valkey-read',
          key: target.key,
          bucket: target.bucket,
          durationMs: 0,
          error: new ValkeyConnectionError(`${error.message}: the client answered another command's reply`, {
            cause: error,
          }),
        })
        return undefined
      }
      if (!(error instanceof CorruptEntryError)) throw error
      this.settings.emit?.({
        type: 'error',
        operation: 'corrupt-entry',
        key: target.key,
        bucket: target.bucket,
        durationMs: 0,
        error,
      })
      return undefined
    }
  }

  /** Serves the revalidated entry if it arrives within `revalidateWaitMs`, else the stale one. */
  private async revalidate(
    target: CacheTarget,
    policy: ReadPolicy,
    load: Load,
    stale: Entry,
    since: Since,
    signal: AbortSignal | undefined,
  ): Promise<ReadResult> {
    const started = performance.now()
    const staleAnswer = (
      reason: 'revalidate-timeout' | 'origin-error' | 'lease-held',
      error?: unknown,
    ): ReadResult => {
      const durationMs = performance.now() - started
      if (error)
        this.settings.emit?.({
          type: 'error',
          operation: 'revalidate',
          key: target.key,
          durationMs,
          error: error as Error,
        })
      this.settings.emit?.({ type: 'stale', reason, key: target.key, bucket: target.bucket, durationMs })
      // The stale entry is what the read's own GET found.
      return { entry: stale, status: 'stale', asOf: since.turn }
    }
    // Lambda may freeze the process once the handler returns, so the refresh is awaited
    // for a bounded time instead of being left to run in the background.
    const timeout = new Error('revalidation did not finish in time')
    try {
      const result = await withDeadline(
        this.settings.revalidateWaitMs,
        () => this.loadAndStore(target, policy, load, stale, since, signal),
        () => timeout,
      )
      return result.status === 'stale' ? staleAnswer('lease-held') : result
    } catch (error) {
      return error === timeout ? staleAnswer('revalidate-timeout') : staleAnswer('origin-error', error)
    }
  }

  private async loadAndStore(
    target: CacheTarget,
    policy: ReadPolicy,
    load: Load,
    stale: Entry | undefined,
    since: Since,
    signal: AbortSignal | undefined,
  ): Promise<ReadResult> {
    const { store, lock } = this.settings
    // An entry is fresh for its ttl from here: what it holds was read from the origin after this.
    const loadStarted = Date.now()
    const token = leaseToken()
    const begun = await store.call('valkey-lease', target.key, (s) =>
      s.begin(target.keys, token, lock ? lock.ttlMs : 0, this.settings.dependents.log),
    )
    const ticket: LoadTicket | undefined = begun === FAILED ? undefined : begun
    // A BEGIN that timed out here may still run on the server (it waits in the socket of a stalled node)
    // and take the lease for a token nobody holds: sent after it on the same connection, this frees it.
    if (!ticket && lock) void store.call('valkey-lease', target.key, (s) => s.release(target.keys, token))
    if (ticket && lock && !ticket.leased) {
      // Another process is loading this object: serve stale at once, or wait for its entry.
      if (stale) return { entry: stale, status: 'stale', asOf: since.turn }
      let polled = since.turn
      const poll = () => {
        polled = currentTurn()
        return this.leaderResult(target)
      }
      const written = await waitForEntry(poll, lock.waitMs, signal)
      if (written) {
        this.fill(target, written, since)
        return { entry: written, status: 'hit', layer: 'l2', asOf: polled }
      }
      // The leader stored nothing (too large, a miss not cached, a failed loader) or the wait ended: load here.
    }
    const started = performance.now()
    let outcome: LoadOutcome
    try {
      // Nobody waits any more (every caller's signal aborted): nothing to load, nothing to store.
      if (signal?.aborted) throw signal.reason
      outcome = await load(stale, signal)
    } catch (error) {
      if (ticket?.leased) void store.call('valkey-lease', target.key, (s) => s.release(target.keys, token))
      throw error
    }
    if (outcome.type === 'oversized') {
      // Nothing to store: let the waiters go on at once.
      if (ticket?.leased) await store.call('valkey-lease', target.key, (s) => s.release(target.keys, token))
      return { entry: notDownloaded(), status: 'bypass' }
    }
    const loadMs = performance.now() - started
    return this.finishLoad(target, policy, outcome, stale, ticket, token, loadStarted, loadMs, since)
  }

  /**
   * One poll of a lease waiter: the leader's fresh entry, `LEASE_GONE` when the leader has let go of the
   * lease without storing anything (so the waiter goes on now, not when its wait ends), else `undefined`.
   */
  private async leaderResult(target: CacheTarget): Promise<Entry | typeof LEASE_GONE | undefined> {
    const fresh = (entry: Entry | undefined) => (entry && Date.now() < entry.freshUntil ? entry : undefined)
    const entry = fresh(await this.readStored(target))
    if (entry) return entry
    const lease = await this.settings.store.call('valkey-lease', target.key, (s) => s.get(target.keys.lease))
    if (lease !== null) return undefined
    // Released: the leader may have committed between the two reads.
    return fresh(await this.readStored(target)) ?? LEASE_GONE
  }

  /** Writes what the load produced (conditionally on the generation) and builds the answer. */
  private async finishLoad(
    target: CacheTarget,
    policy: ReadPolicy,
    outcome: Exclude<LoadOutcome, { type: 'oversized' }>,
    stale: Entry | undefined,
    ticket: LoadTicket | undefined,
    token: string,
    loadStarted: number,
    loadMs: number,
    since: Since,
  ): Promise<ReadResult> {
    const { store, emit } = this.settings
    const base = { key: target.key, bucket: target.bucket, durationMs: loadMs }
    const heldToken = ticket?.leased ? token : ''
    // A `wrap` loader may set its own fresh time (setTtl).
    const times =
      outcome.type === 'entry' && outcome.ttlMs !== undefined ? { ...policy, ttlMs: outcome.ttlMs } : policy
    const { freshUntil, staleUntil, ttlMs } = builtFrom(
      entryTimes(times, loadStarted, outcome.type === 'missing'),
      outcome.type === 'entry' ? outcome.reads : undefined,
    )

    if (outcome.type === 'unchanged' && stale) {
      const entry: Entry = { ...stale, freshUntil, staleUntil }
      let touched: boolean | typeof FAILED = false
      // A tagged object's set membership must last as long as its renewed entry.
      const tags = tagsOf(stale.metadata)
      const enlisted =
        ticket && tags ? await this.settings.dependents.enlist(target, { tags }, ttlMs, ticket.tagMark) : true
      const asOf = currentTurn()
      if (ticket && enlisted === true) {
        const times = encodeTimes(freshUntil, staleUntil)
        touched = await store.call('valkey-write', target.key, (s) =>
          s.touch(target.keys, ticket.generation, heldToken, stale.checksum, times, ttlMs),
        )
      }
      emit?.({ ...base, type: 'load', source: 'revalidated', bytes: 0 })
      // L1 takes only what Valkey accepted: a refused refresh means the entry changed meanwhile.
      if (touched === true) this.fill(target, entry, since)
      return { entry, status: 'hit', layer: 'l2', superseded: touched !== true, asOf }
    }

    const data =
      outcome.type === 'entry'
        ? outcome.data
        : { kind: EntryKind.missing, body: new Uint8Array(0), metadata: {} as Record<string, string> }
    const cacheable = outcome.type === 'entry' ? outcome.cacheable : policy.negativeTtlMs > 0
    const encoded = cacheable
      ? encodeEntry({ ...data, freshUntil, staleUntil }, this.settings.compression, target.keys.entry)
      : undefined
    let committed: boolean | typeof FAILED = false
    let asOf: number | undefined
    // A tagged or dependent entry is enlisted first, and not written if what it depends on changed.
    const enlisted =
      ticket && encoded && outcome.type === 'entry' && (outcome.tags?.length || outcome.reads?.length)
        ? await this.settings.dependents.enlist(target, outcome, ttlMs, ticket.tagMark)
        : true
    if (ticket && encoded && enlisted === true) {
      asOf = currentTurn()
      committed = await store.call('valkey-write', target.key, (s) =>
        s.commit(target.keys, ticket.generation, heldToken, encoded.value, ttlMs),
      )
    } else {
      if (enlisted === FAILED) committed = FAILED
      if (ticket?.leased) await store.call('valkey-lease', target.key, (s) => s.release(target.keys, token))
    }
    const entry: Entry = {
      ...data,
      metadata: data.metadata ?? {},
      freshUntil,
      staleUntil,
      storedBytes: encoded?.value.length ?? 0,
      codec: encoded?.codec ?? Codec.none,
      checksum: committed === true ? encoded?.value.readUInt32BE(CHECKSUM_OFFSET) : undefined,
    }
    const source =
      outcome.type === 'missing' ? 'not-found' : target.bucket === undefined ? 'loader' : 'origin'
    emit?.({ ...base, type: 'load', source, bytes: data.body.byteLength, storedBytes: entry.storedBytes })
    // L1 takes only what Valkey accepted: a refused commit means a put or invalidate came after this load began.
    if (committed === true) this.fill(target, entry, since)
    // `bypass`: answered without the cache, since the object may not be stored (too large) or Valkey
    // could not be used (down, circuit open); a commit refused by a newer generation is still a miss.
    const storeUsed = ticket !== undefined && committed !== FAILED
    const miss = cacheable ? storeUsed : outcome.type === 'missing'
    // A generation proves an unstored answer unchanged only when nothing else went into it: a value built
    // from other entries or tags that was not stored has no proof (its dependents are not stored either).
    const tracked = outcome.type === 'entry' && Boolean(outcome.tags?.length || outcome.reads?.length)
    const generation = committed === true || tracked ? undefined : ticket?.generation
    // Not stored, though it could have been: what the load read changed while it ran, or Valkey could
    // not be used, so nothing proves the answer still current to a caller that joined it later.
    const superseded = encoded !== undefined && committed !== true
    return { entry, status: miss ? 'miss' : 'bypass', generation, superseded, asOf }
  }
}
