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

/**
 * Bounds many calls that share one timeout with one timer, for the hot path (a timer and an
 * AbortController per Valkey command cost more than the command's own JavaScript). Calls are kept in
 * buckets by the millisecond they started in; since all wait equally long, the oldest bucket always
 * expires first: the timer sleeps until its deadline, rejects what it holds, and sleeps again. A call
 * leaves its bucket when it settles, so only calls in flight are held, however out of order replies
 * from several connections arrive (a cluster). The timer is unref'd: it never keeps a process alive.
 */
export class SharedDeadline {
  private readonly ms: number
  private readonly timeoutError: () => Error
  /** Pending calls by start millisecond; a Map iterates in insertion order, so oldest first. */
  private readonly buckets = new Map<number, Set<(error: Error) => void>>()
  private pending = 0
  private timer: NodeJS.Timeout | undefined

  constructor(ms: number, timeoutError: () => Error) {
    this.ms = ms
    this.timeoutError = timeoutError
  }

  /** Calls held: those still in flight (for tests of its memory). */
  get held(): number {
    return this.pending
  }

  /** Settles with `promise`, or rejects with the timeout error after `ms`; a late settlement is absorbed. */
  bound<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const started = Math.floor(performance.now())
      let bucket = this.buckets.get(started)
      if (!bucket) {
        bucket = new Set()
        this.buckets.set(started, bucket)
      }
      bucket.add(reject)
      this.pending++
      this.timer ??= this.arm(this.ms + 1)
      const leave = () => {
        const current = this.buckets.get(started)
        if (!current?.delete(reject)) return false
        this.pending--
        if (current.size === 0) this.buckets.delete(started)
        return true
      }
      promise.then(
        (value) => {
          if (leave()) resolve(value)
        },
        (error: unknown) => {
          if (leave()) reject(error)
        },
      )
    })
  }

  private arm(ms: number): NodeJS.Timeout {
    return setTimeout(() => this.expire(), ms).unref()
  }

  private expire(): void {
    this.timer = undefined
    const now = performance.now()
    for (const [started, bucket] of this.buckets) {
      // The bucket's last call started before `started + 1`; timers have millisecond resolution, so a
      // deadline within the next millisecond counts as reached.
      const deadline = started + 1 + this.ms
      if (deadline > now + 1) {
        this.timer = this.arm(Math.max(1, deadline - now))
        return
      }
      this.buckets.delete(started)
      this.pending -= bucket.size
      for (const reject of bucket) reject(this.timeoutError())
    }
  }
}
