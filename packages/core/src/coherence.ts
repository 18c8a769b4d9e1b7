import { STOPPED_MS } from './deadline'
import { ValkeyConnectionError } from './errors'
import type { CacheEventListener } from './events'
import { changeKeys } from './keys'
import { FAILED, type GuardedStore } from './store/guarded'
import { type ChangeListener, HEARTBEAT_MS, type Subscription } from './store/store'

/**
 * How often the clock watch ticks. A tick counts once a poll phase has followed it (the sockets were
 * read); more than this plus {@link STOPPED_MS} since the last one counted is a gap in hearing, so a
 * change delivered before a read by more than that (75 ms) is heard by it, event-loop stalls included.
 */
const TICK_MS = 25

/** The longest time since the last counted tick for which L1 may answer. */
const HEARD_WITHIN_MS = TICK_MS + STOPPED_MS

/** A change naming more keys than this is published as {@link EVERYTHING}: listeners empty their L1. */
const MAX_KEYS_PER_MESSAGE = 1000

/** The message body that tells listeners to forget everything. */
const EVERYTHING = '*'

/**
 * How far the last number heard may run ahead of the counter read while confirming (changes published
 * after the read, heard before its reply) and still count as the same counter. A counter evicted and
 * created again starts at a random number below 2^47: it lands this close below the last one heard by
 * chance once in 10^11.
 */
const AHEAD_MARGIN = 10_000

export interface CoherenceSettings {
  store: GuardedStore
  keyPrefix: string
  /** `timeouts.valkey`: how long a read waits for the confirmation after a gap before it reads past L1. */
  timeoutMs: number
  emit: CacheEventListener | undefined
  /**
   * Drops from L1 what another process changed: the items at or linked to these Valkey keys, or every
   * item (`undefined`); `[]` drops nothing but keeps reads in flight from filling L1.
   */
  forget(keys: readonly string[] | undefined): void
}

/**
 * Keeps L1 coherent across processes. Every change made through the library (its entry keys, and the
 * set keys of invalidated tags) is published on the key prefix's change channel, batched per tick and
 * numbered by a counter in Valkey; a cache with L1 subscribes to that channel and drops what others
 * changed. L1 answers only while this process is known to have heard every change: subscribed, and
 * confirmed since its last gap in hearing (its subscription lost, or its event loop stopped: a freeze,
 * a long stall). The first read after a gap reads the counter (one round trip) and waits, up to
 * `timeouts.valkey`, to have heard the message of that number; a number out of sequence, or a counter
 * that does not match, empties L1 instead, and a message that is not heard in time ends the
 * subscription's connection as deaf (subscribed again on a new one). While unconfirmed, reads go past
 * L1 and do not fill it.
 */
export class Coherence implements ChangeListener {
  private readonly settings: CoherenceSettings
  private readonly channel: string
  private readonly counter: string
  private pending: Set<string> | undefined
  private flushed: Promise<void> | undefined
  private subscription: Subscription | undefined
  /** Subscribed: messages arrive. */
  private live = false
  private confirmed = false
  private confirming: Promise<boolean> | undefined
  /** The number of the last message heard (`undefined` before the first confirmation). */
  private lastNumber: number | undefined
  /** Set while a confirmation waits to hear the message numbered `number`. */
  private awaited: { number: number; heard: () => void } | undefined
  /**
   * When the last counted tick fired: every message that reached the socket before it has been read
   * (a confirmation counts as one too).
   */
  private lastTick = 0
  private clock: NodeJS.Timeout | undefined
  /** GLIDE: the counter read every HEARTBEAT_MS, as its client subscribes again without saying so. */
  private audit: NodeJS.Timeout | undefined
  private lossReported = false
  private closed = false
  /** Reads waiting for the first subscription's confirmation. */
  private waiters: (() => void)[] = []

  constructor(settings: CoherenceSettings) {
    this.settings = settings
    const { channel, counter } = changeKeys(settings.keyPrefix)
    this.channel = channel
    this.counter = counter
  }

  /**
   * Publishes that the entries at `keys` changed, with the other changes of this tick in one message.
   * Resolves once published or failed (never rejects: a failure is an `l1-publish` error event).
   */
  publish(keys: Iterable<string>): Promise<void> {
    this.pending ??= new Set()
    const pending = this.pending
    for (const key of keys) pending.add(key)
    this.flushed ??= new Promise((resolve) => setImmediate(() => resolve(this.flush(pending))))
    return this.flushed
  }

  private async flush(keys: Set<string>): Promise<void> {
    this.pending = undefined
    this.flushed = undefined
    if (keys.size === 0) return
    const { keyPrefix, store } = this.settings
    const message =
      keys.size > MAX_KEYS_PER_MESSAGE
        ? EVERYTHING
        : Array.from(keys, (key) => (key.startsWith(keyPrefix) ? key.slice(keyPrefix.length) : key)).join(' ')
    await store.call('l1-publish', undefined, (s) =>
      (s.publishChange as NonNullable<typeof s.publishChange>).call(s, this.counter, this.channel, message),
    )
  }

  /** Subscribes, once (`connect()`, or the first L1 read). */
  listen(): void {
    if (this.subscription || this.closed) return
    const { store } = this.settings.store
    this.subscription = (store.subscribe as NonNullable<typeof store.subscribe>).call(
      store,
      this.channel,
      this,
    )
  }

  /**
   * Whether L1 may answer: `true` at once on the steady path; after a gap, a promise of the
   * confirmation (bounded by `timeouts.valkey`; `false`: read past L1). Before the first subscription,
   * a promise of it, as bounded; once a subscription failed or was lost, `false` until it is back.
   */
  hearing(): boolean | Promise<boolean> {
    if (this.heard()) return true
    this.listen()
    if (this.live) {
      this.confirming ??= this.confirm().finally(() => {
        this.confirming = undefined
      })
      return this.confirming
    }
    return this.lossReported ? false : this.firstConfirmation()
  }

  /** Resolves `true` once the first subscription is confirmed, `false` after `timeouts.valkey`. */
  private firstConfirmation(): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.settings.timeoutMs)
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve(this.heard())
      })
    })
  }

  /** Whether this process has heard every change until a moment ago (no side effect: for L1 fills). */
  heard(): boolean {
    return this.confirmed && performance.now() - this.lastTick <= HEARD_WITHIN_MS
  }

  /** Reads the counter and waits to have heard its number; empties L1 where that cannot be shown. */
  private async confirm(): Promise<boolean> {
    const started = performance.now()
    const { store, timeoutMs, forget } = this.settings
    const count = await store.call('valkey-read', undefined, (s) =>
      (s.changeCount as NonNullable<typeof s.changeCount>).call(s, this.counter),
    )
    if (count === FAILED || !this.live) return false
    const last = this.lastNumber
    if (last === undefined || last - count >= AHEAD_MARGIN) {
      // Nothing heard yet, or another counter (evicted, created again): start from here, with nothing.
      forget(undefined)
      this.lastNumber = count
    } else if (count > last) {
      const heard = await this.hear(count, timeoutMs - (performance.now() - started))
      if (!heard && this.live) {
        // Published, yet not delivered: the subscription's connection may be deaf (forgotten by the
        // network across a freeze, with no reset). A new one, and L1 unused until it is in place.
        const renew = this.subscription?.renew
        if (renew) {
          renew.call(
            this.subscription,
            new ValkeyConnectionError(
              `change ${count} on ${this.channel} was not delivered within ${timeoutMs} ms`,
            ),
          )
          return false
        }
        forget(undefined)
        this.lastNumber = count
      }
    }
    if (!this.live) return false
    this.confirmed = true
    this.lastTick = performance.now()
    for (const waiter of this.waiters.splice(0)) waiter()
    return true
  }

  /** Resolves `true` once the message numbered `number` is heard, `false` after `ms`. */
  private hear(number: number, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.awaited = undefined
          resolve(false)
        },
        Math.max(0, ms),
      )
      this.awaited = {
        number,
        heard: () => {
          clearTimeout(timer)
          this.awaited = undefined
          resolve(true)
        },
      }
    })
  }

  message(text: string): void {
    const space = text.indexOf(' ')
    const number = Number(text.slice(0, space))
    const body = text.slice(space + 1)
    const inSequence = this.lastNumber !== undefined && number === this.lastNumber + 1
    this.lastNumber = number
    const { forget, keyPrefix } = this.settings
    // Out of sequence: a message missed (or another counter), so what it said is unknown.
    if (!inSequence || body === EVERYTHING) forget(undefined)
    else forget(body.split(' ').map((key) => keyPrefix + key))
    if (this.awaited && number >= this.awaited.number) this.awaited.heard()
  }

  subscribed(): void {
    this.live = true
    this.lossReported = false
    this.lastTick = performance.now()
    this.clock ??= setInterval(() => this.tick(), TICK_MS)
    this.clock.unref()
    // A subscription that cannot be renewed is one its client keeps by itself (GLIDE): after a
    // reconnect or a failover it subscribes again and does not say so, and a change published before
    // that is lost to it, found by a gap only at the next message. Reading the counter finds it sooner.
    if (!this.subscription?.renew && !this.audit) {
      this.audit = setInterval(() => this.reconfirm(), HEARTBEAT_MS)
      this.audit.unref()
    }
    void this.hearing()
  }

  /** Confirms again in the background while L1 answers (see `audit`): a change not heard empties it. */
  private reconfirm(): void {
    if (!this.live || !this.confirmed || this.confirming) return
    this.confirming = this.confirm().finally(() => {
      this.confirming = undefined
    })
  }

  lost(error: Error | undefined): void {
    this.live = false
    this.confirmed = false
    this.settings.forget(undefined)
    this.awaited?.heard()
    for (const waiter of this.waiters.splice(0)) waiter()
    if (this.lossReported || this.closed) return
    this.lossReported = true
    this.settings.emit?.({
      type: 'error',
      operation: 'l1-subscription',
      durationMs: 0,
      error: new ValkeyConnectionError(
        `the subscription to ${this.channel} was lost${error ? `: ${error.message}` : ''}; L1 is emptied and unused until it is back`,
        { cause: error },
      ),
    })
  }

  /**
   * A tick that comes late means the process was stopped (a freeze, a stall): it may not have heard.
   * An on-time tick counts only from the check phase: timers run before the poll phase, so after a
   * stall a tick fires while messages that arrived during the stall still wait in the socket, and
   * code run in the same timers phase must not take it for a sign they were read.
   */
  private tick(): void {
    const now = performance.now()
    if (this.confirmed && now - this.lastTick > HEARD_WITHIN_MS) {
      this.confirmed = false
      this.settings.forget([])
    }
    setImmediate(() => {
      this.lastTick = Math.max(this.lastTick, now)
    })
  }

  /** Publishes what is pending and ends the subscription. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.clock)
    clearInterval(this.audit)
    await this.flushed
    this.live = false
    this.confirmed = false
    await this.subscription?.close()
  }
}
