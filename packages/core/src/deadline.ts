/**
 * Runs `run` with a signal that aborts after `ms`. The promise settles with `run`'s result, or at the
 * deadline with the error `timeoutError()` builds (the signal's reason), whichever comes first. One
 * timer per call, cleared when it settles; a late rejection of `run` is absorbed, never unhandled.
 */
export function withDeadline<T>(
  ms: number,
  run: (signal: AbortSignal) => Promise<T>,
  timeoutError: () => Error,
): Promise<T> {
  const controller = new AbortController()
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = timeoutError()
      controller.abort(error)
      reject(error)
    }, ms)
    const settle =
      <V>(done: (value: V) => void) =>
      (value: V) => {
        clearTimeout(timer)
        done(value)
      }
    try {
      run(controller.signal).then(settle(resolve), settle(reject))
    } catch (error) {
      settle(reject)(error)
    }
  })
}

interface Pending {
  readonly deadline: number
  readonly reject: (error: Error) => void
  settled: boolean
}

/**
 * Bounds many calls that share one timeout with one timer, for the hot path (a timer and an
 * AbortController per Valkey command cost more than the command's own JavaScript). Calls are queued
 * in the order they start, and all wait equally long, so the head of the queue always expires first:
 * the timer sleeps until the head's deadline, rejects what has expired, and sleeps again. A settled call
 * is dropped when it reaches the head. The timer is unref'd: it never keeps a process alive by itself.
 */
export class SharedDeadline {
  private readonly ms: number
  private readonly timeoutError: () => Error
  private queue: Pending[] = []
  private head = 0
  private timer: NodeJS.Timeout | undefined

  constructor(ms: number, timeoutError: () => Error) {
    this.ms = ms
    this.timeoutError = timeoutError
  }

  /** Settles with `promise`, or rejects with the timeout error after `ms`; a late settlement is absorbed. */
  bound<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { deadline: performance.now() + this.ms, reject, settled: false }
      this.queue.push(pending)
      this.timer ??= this.arm(this.ms)
      promise.then(
        (value) => {
          pending.settled = true
          this.dropSettled()
          resolve(value)
        },
        (error: unknown) => {
          pending.settled = true
          this.dropSettled()
          reject(error)
        },
      )
    })
  }

  private arm(ms: number): NodeJS.Timeout {
    return setTimeout(() => this.expire(), ms).unref()
  }

  /** Advances past settled calls at the head; an empty queue starts over, so it never grows while idle. */
  private dropSettled(): void {
    const { queue } = this
    while (this.head < queue.length && (queue[this.head] as Pending).settled) this.head++
    if (this.head === queue.length) {
      this.queue = []
      this.head = 0
    }
  }

  private expire(): void {
    this.timer = undefined
    const now = performance.now()
    this.dropSettled()
    const { queue } = this
    while (this.head < queue.length) {
      const pending = queue[this.head] as Pending
      if (!pending.settled) {
        // Timers have millisecond resolution: a deadline within the next millisecond counts as reached.
        if (pending.deadline > now + 1) break
        pending.settled = true
        pending.reject(this.timeoutError())
      }
      this.head++
    }
    this.dropSettled()
    const next = this.queue[this.head]
    if (next) this.timer = this.arm(Math.max(1, next.deadline - now))
  }
}
