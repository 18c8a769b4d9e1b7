import { Codec, type CompressionSettings } from './compression'
import { leaseToken, waitForEntry } from './coordination/lease'
import { SingleFlight } from './coordination/single-flight'
import { withDeadline } from './deadline'
import { CorruptEntryError, decodeEntry, type Entry, EntryKind, encodeEntry, encodeTimes } from './entry'
import type { CacheEventListener } from './events'
import type { CacheTarget } from './keys'
import type { L1Cache } from './l1'
import { entryTimes, type ReadPolicy } from './policy'
import type { Load, LoadOutcome, ReadResult } from './read-contract'
import { FAILED, type GuardedStore } from './store/guarded'
import type { LoadTicket } from './store/store'

export interface ReadSettings {
  store: GuardedStore
  l1: L1Cache | undefined
  emit: CacheEventListener
  lock: { ttlMs: number; waitMs: number } | false
  compression: CompressionSettings | false
  /** How long a read of a stale entry waits for its revalidation before answering stale. */
  revalidateWaitMs: number
}

/**
 * The read path: L1 → one Valkey GET → origin, with single-flight per process, a lease
 * across processes, stale-while-revalidate within a bounded wait, and conditional writes.
 */
export class ReadThrough {
  private readonly settings: ReadSettings
  private readonly flights = new SingleFlight<ReadResult>()

  constructor(settings: ReadSettings) {
    this.settings = settings
  }

  async read(target: CacheTarget, policy: ReadPolicy, load: Load): Promise<ReadResult> {
    const started = performance.now()
    const { l1, emit } = this.settings
    if (l1 && !policy.forceRefresh) {
      const entry = l1.get(target.id)
      if (entry) {
        emit({
          type: 'hit',
          layer: 'l1',
          key: target.key,
          bucket: target.bucket,
          durationMs: performance.now() - started,
        })
        return { entry, status: 'hit' }
      }
    }
    const flightKey = policy.forceRefresh ? `${target.id}\0refresh` : target.id
    const result = await this.flights.run(flightKey, () => this.readShared(target, policy, load))
    const durationMs = performance.now() - started
    const base = { key: target.key, bucket: target.bucket, durationMs }
    if (result.status === 'hit') emit({ ...base, type: 'hit', layer: 'l2' })
    else if (result.status === 'miss') emit({ ...base, type: 'miss' })
    else if (result.status === 'bypass')
      emit({ ...base, type: 'bypass', bytes: result.entry.body.byteLength })
    return result
  }

  private async readShared(target: CacheTarget, policy: ReadPolicy, load: Load): Promise<ReadResult> {
    if (!policy.forceRefresh) {
      const stored = await this.readStored(target)
      const now = Date.now()
      if (stored && now < stored.freshUntil) {
        this.settings.l1?.set(target.id, stored)
        return { entry: stored, status: 'hit' }
      }
      if (stored && now < stored.staleUntil) return this.revalidate(target, policy, load, stored)
    }
    return this.loadAndStore(target, policy, load, undefined)
  }

  /** One GET; a failed, missing or corrupt entry reads as `undefined` (corrupt ones are reported and later overwritten). */
  private async readStored(target: CacheTarget): Promise<Entry | undefined> {
    const raw = await this.settings.store.call('valkey-read', target.key, (s) => s.get(target.keys.entry))
    if (raw === FAILED || raw === null) return undefined
    try {
      return decodeEntry(raw)
    } catch (error) {
      if (!(error instanceof CorruptEntryError)) throw error
      this.settings.emit({
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
  ): Promise<ReadResult> {
    const started = performance.now()
    const staleAnswer = (
      reason: 'revalidate-timeout' | 'origin-error' | 'lease-held',
      error?: unknown,
    ): ReadResult => {
      const durationMs = performance.now() - started
      if (error)
        this.settings.emit({
          type: 'error',
          operation: 'revalidate',
          key: target.key,
          durationMs,
          error: error as Error,
        })
      this.settings.emit({ type: 'stale', reason, key: target.key, bucket: target.bucket, durationMs })
      return { entry: stale, status: 'stale' }
    }
    // Lambda may freeze the process once the handler returns, so the refresh is awaited
    // for a bounded time instead of being left to run in the background.
    const timeout = new Error('revalidation did not finish in time')
    try {
      const result = await withDeadline(
        this.settings.revalidateWaitMs,
        () => this.loadAndStore(target, policy, load, stale),
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
  ): Promise<ReadResult> {
    const { store, lock } = this.settings
    const token = leaseToken()
    const begun = await store.call('valkey-lease', target.key, (s) =>
      s.begin(target.keys, token, lock ? lock.ttlMs : 0),
    )
    const ticket: LoadTicket | undefined = begun === FAILED ? undefined : begun
    if (ticket && lock && !ticket.leased) {
      // Another process is loading this object: serve stale at once, or wait for its entry.
      if (stale) return { entry: stale, status: 'stale' }
      const written = await waitForEntry(async () => {
        const entry = await this.readStored(target)
        return entry && Date.now() < entry.freshUntil ? entry : undefined
      }, lock.waitMs)
      if (written) {
        this.settings.l1?.set(target.id, written)
        return { entry: written, status: 'hit' }
      }
    }
    const started = performance.now()
    let outcome: LoadOutcome
    try {
      outcome = await load(stale)
    } catch (error) {
      if (ticket?.leased) void store.call('valkey-lease', target.key, (s) => s.release(target.keys, token))
      throw error
    }
    const loadMs = performance.now() - started
    return this.finishLoad(target, policy, outcome, stale, ticket, token, loadMs)
  }

  /** Writes what the load produced (conditionally on the generation) and builds the answer. */
  private async finishLoad(
    target: CacheTarget,
    policy: ReadPolicy,
    outcome: LoadOutcome,
    stale: Entry | undefined,
    ticket: LoadTicket | undefined,
    token: string,
    loadMs: number,
  ): Promise<ReadResult> {
    const { store, emit } = this.settings
    const base = { key: target.key, bucket: target.bucket, durationMs: loadMs }
    const heldToken = ticket?.leased ? token : ''
    const { freshUntil, staleUntil, ttlMs } = entryTimes(policy, Date.now(), outcome.type === 'missing')

    if (outcome.type === 'unchanged' && stale) {
      const entry: Entry = { ...stale, freshUntil, staleUntil }
      if (ticket) {
        const times = encodeTimes(freshUntil, staleUntil)
        await store.call('valkey-write', target.key, (s) =>
          s.touch(target.keys, ticket.generation, heldToken, times, ttlMs),
        )
      }
      emit({ ...base, type: 'load', source: 'revalidated', bytes: 0 })
      this.settings.l1?.set(target.id, entry)
      return { entry, status: 'hit' }
    }

    const data =
      outcome.type === 'entry'
        ? outcome.data
        : { kind: EntryKind.missing, body: new Uint8Array(0), metadata: {} as Record<string, string> }
    const cacheable = outcome.type === 'entry' ? outcome.cacheable : policy.negativeTtlMs > 0
    const encoded = cacheable
      ? encodeEntry({ ...data, freshUntil, staleUntil }, this.settings.compression)
      : undefined
    if (ticket && encoded) {
      await store.call('valkey-write', target.key, (s) =>
        s.commit(target.keys, ticket.generation, heldToken, encoded.value, ttlMs),
      )
    } else if (ticket?.leased) {
      await store.call('valkey-lease', target.key, (s) => s.release(target.keys, token))
    }
    const entry: Entry = {
      ...data,
      metadata: data.metadata ?? {},
      freshUntil,
      staleUntil,
      storedBytes: encoded?.value.length ?? 0,
      codec: encoded?.codec ?? Codec.none,
    }
    const source =
      outcome.type === 'missing' ? 'not-found' : target.bucket === undefined ? 'loader' : 'origin'
    emit({ ...base, type: 'load', source, bytes: data.body.byteLength, storedBytes: entry.storedBytes })
    if (encoded) this.settings.l1?.set(target.id, entry)
    return { entry, status: cacheable || outcome.type === 'missing' ? 'miss' : 'bypass' }
  }
}
