interface Flight<T> {
  key: string
  epoch: number
  promise: Promise<T>
  /**
   * Aborts the shared work once every caller has given up (see `run`). Only a flight started by a
   * caller with a signal has one: a caller without a signal never gives up, so that flight never aborts
   * (and a hit pays for no AbortController).
   */
  controller: AbortController | undefined
  /** Callers still waiting; a caller without a signal never stops waiting. */
  waiting: number
}

/**
 * Concurrent calls with one key share one execution in this process. A call joins a running one only
 * when both began under the same `epoch`; a call under a newer epoch starts its own (see `ReadThrough`).
 *
 * A caller may pass an `AbortSignal`: when it aborts, that caller's promise rejects at once with the
 * signal's reason, and the shared execution's own signal aborts when the last caller still waiting for it
 * has given up (callers without a signal always wait), so one caller's timeout never cancels another's read.
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Flight<T>>()
  private readonly shared: (value: T) => T

  /** `shared` turns the value of an execution that several callers wait for into the value they all get. */
  constructor(shared: (value: T) => T = (value) => value) {
    this.shared = shared
  }

  /** Whether a call with `key` and `epoch` would join a running execution rather than start one. */
  joins(key: string, epoch: number): boolean {
    return this.inflight.get(key)?.epoch === epoch
  }

  run(
    key: string,
    epoch: number,
    fn: (signal: AbortSignal | undefined) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    let flight = this.inflight.get(key)
    if (!flight || flight.epoch !== epoch) flight = this.start(key, epoch, fn, signal !== undefined)
    flight.waiting++
    return signal ? this.until(flight, signal) : flight.promise
  }

  private start(
    key: string,
    epoch: number,
    fn: (signal: AbortSignal | undefined) => Promise<T>,
    abortable: boolean,
  ): Flight<T> {
    const controller = abortable ? new AbortController() : undefined
    const flight: Flight<T> = { key, epoch, controller, waiting: 0, promise: Promise.resolve() as Promise<T> }
    // Ended in the same callback that counts its callers: nobody joins after the count is taken.
    // `undefined`: nobody can abort this flight.
    flight.promise = fn(controller?.signal).then(
      (value) => {
        this.end(flight)
        return flight.waiting > 1 ? this.shared(value) : value
      },
      (error: unknown) => {
        this.end(flight)
        throw error
      },
    )
    this.inflight.set(key, flight)
    return flight
  }

  private end(flight: Flight<T>): void {
    // A newer flight may have replaced this one meanwhile.
    if (this.inflight.get(flight.key) === flight) this.inflight.delete(flight.key)
  }

  /** The flight's answer for one caller, or its signal's reason as soon as it aborts. */
  private until(flight: Flight<T>, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason)
        if (--flight.waiting === 0) {
          // Nobody waits any more: stop the work, and let a later call start afresh.
          flight.controller?.abort(signal.reason)
          if (this.inflight.get(flight.key) === flight) this.inflight.delete(flight.key)
        }
      }
      signal.addEventListener('abort', onAbort, { once: true })
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort)
          resolve(value)
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        },
      )
    })
  }
}
