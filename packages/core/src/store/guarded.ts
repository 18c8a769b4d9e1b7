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
 * failures become `error` events instead of exceptions, and after a few consecutive failures a
 * circuit breaker stops paying the timeout on every request (one event per outage),
 * letting a single probe through after `cooldownMs`.
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

  /** Whether the circuit is open (the store is being skipped). */
  get open(): boolean {
    return this.failures >= this.settings.failureThreshold
  }

  async call<T>(
    operation: ErrorOperation,
    key: string | undefined,
    fn: (store: Store) => Promise<T>,
  ): Promise<T | Failed> {
    let probe = false
    if (this.closed) return FAILED
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
      if (this.failures === this.settings.failureThreshold || probe) {
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
