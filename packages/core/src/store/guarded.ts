import { SharedDeadline, withDeadline } from '../deadline'
import type { CacheEventListener, ErrorOperation } from '../events'
import { storeChannel, tracedStore } from '../tracing'
import type { Store } from './store'

/** Returned instead of a value when the store failed, timed out, or the circuit is open: the caller fails open. */
export const FAILED: unique symbol = Symbol('store-failed')
export type Failed = typeof FAILED

export interface GuardSettings {
  /** Per-command bound, ms. */
  timeoutMs: number
  /** `undefined` when nobody listens. */
  emit: CacheEventListener | undefined
  /** Maps a raw client error to the error reported in events (names NOPERM permissions, scrubs secrets). */
  mapError?: (error: unknown) => Error
  /**
   * Whether a call failed because its connection dropped under it (not by the store's answer): such a
   * call goes once more, on the next connection, within the same bound.
   */
  isConnectionLost?: (error: unknown) => boolean
  /** Consecutive failures that open the circuit. */
  failureThreshold?: number
  /** How long an open circuit skips the store before one probe is let through, ms. */
  cooldownMs?: number
}

class StoreTimeoutError extends Error {
  override name = 'StoreTimeoutError'
}

/**
 * Fail-open wrapper around a {@link Store}: every call is bounded by `timeoutMs` (one shared timer,
 * not one per command), a call whose connection dropped under it goes once more on the next one,
 * failures become `error` events instead of exceptions, and a circuit breaker stops paying for an
 * outage on every request (one event per outage): a call that times out opens it until a ping in the
 * background finds every node answering (so a request pays at most one timeout), and a few consecutive
 * failures of another kind open it for `cooldownMs`, then let a single probe through.
 */
export class GuardedStore {
  readonly store: Store
  private readonly settings: Required<Omit<GuardSettings, 'emit'>> & Pick<GuardSettings, 'emit'>
  private readonly deadline: SharedDeadline
  private failures = 0
  private openUntil = 0
  private probing = false
  private closed = false
  private readonly timeoutError = () =>
    new StoreTimeoutError(`Valkey did not answer within ${this.settings.timeoutMs} ms`)

  constructor(store: Store, settings: GuardSettings) {
    this.store = store
    this.settings = {
      failureThreshold: 3,
      cooldownMs: 1000,
      mapError: (e) => e as Error,
      isConnectionLost: () => false,
      ...settings,
    }
    this.deadline = new SharedDeadline(settings.timeoutMs, this.timeoutError)
  }

  /**
   * A command timed out: the store may hang, and every command sent now would wait out the bound too.
   * Calls fail open at once until a probe in the background finds every node answering again.
   */
  private hung = false

  /** Whether the circuit is open (the store is being skipped). */
  get open(): boolean {
    return this.hung || this.failures >= this.settings.failureThreshold
  }

  async call<T>(
    operation: ErrorOperation,
    key: string | undefined,
    fn: (store: Store) => Promise<T>,
  ): Promise<T | Failed> {
    let probe = false
    if (this.closed || this.hung) return FAILED
    if (this.open) {
      if (this.probing || Date.now() < this.openUntil) return FAILED
      this.probing = probe = true
    }
    const started = performance.now()
    try {
      let value: T
      try {
        value = await this.deadline.bound(this.attempt(operation, key, fn))
      } catch (error) {
        value = await this.again(error, started, () => this.attempt(operation, key, fn))
      }
      this.failures = 0
      return value
    } catch (raw) {
      this.failures++
      const error = this.settings.mapError(raw)
      const durationMs = performance.now() - started
      if (raw instanceof StoreTimeoutError) {
        // One request pays one timeout: what it (and every other caller) sends next skips Valkey.
        if (!this.hung) {
          this.hung = true
          this.settings.emit?.({ type: 'error', operation: 'circuit-open', key, durationMs, error })
          void this.probeUntilAnswered()
        }
      } else if (this.failures === this.settings.failureThreshold || probe) {
        this.openUntil = Date.now() + this.settings.cooldownMs
        this.settings.emit?.({ type: 'error', operation: 'circuit-open', key, durationMs, error })
      } else if (!this.open) {
        this.settings.emit?.({ type: 'error', operation, key, durationMs, error })
      }
      return FAILED
    } finally {
      if (probe) this.probing = false
    }
  }

  /** One call to the store, traced only while someone subscribes (no closure on the hot path otherwise). */
  private attempt<T>(
    operation: ErrorOperation,
    key: string | undefined,
    fn: (store: Store) => Promise<T>,
  ): Promise<T> {
    if (!storeChannel.hasSubscribers) return fn(this.store)
    return tracedStore(operation, key, () => fn(this.store))
  }

  /**
   * Pings every node the cache uses, each bounded like a command, until all answer (then the store is
   * used again), waiting `cooldownMs` between attempts; off the request path, and never keeping the
   * process alive. A node that does not answer in the bound has its connection replaced.
   */
  private async probeUntilAnswered(): Promise<void> {
    while (this.hung && !this.closed) {
      try {
        await this.deadline.bound(this.store.ping())
        this.failures = 0
        this.hung = false
        return
      } catch (error) {
        // A probe that got no answer at all: the connection may be half-open, and would never recover.
        if (error instanceof StoreTimeoutError) this.store.dropUnanswered?.()
        await new Promise((resolve) => setTimeout(resolve, this.settings.cooldownMs).unref())
      }
    }
  }

  /** Closes the store; from then on every call fails open at once, with no event. */
  close(): Promise<void> {
    this.closed = true
    return this.store.close()
  }

  /**
   * The second and last attempt of a call whose connection dropped under it (a server's idle close
   * seen only when a thawed Lambda writes to the socket): the client is reconnecting, and the call
   * waits for the new connection for what is left of the bound. Any other failure is final.
   */
  private again<T>(error: unknown, started: number, call: () => Promise<T>): Promise<T> {
    const left = this.settings.timeoutMs - (performance.now() - started)
    if (left < 1 || !this.settings.isConnectionLost(error)) return Promise.reject(error)
    return withDeadline(left, call, this.timeoutError)
  }
}
