/**
 * How late a timer may fire before the process counts as having been stopped (a freeze, or an event loop
 * blocked that long): Node runs overdue timers before it reads the sockets, so on thaw a bound would
 * expire before the answer that arrived during the freeze is even read.
 */
export const STOPPED_MS = 50

/** Whether a timer due at `due` (`performance.now()` time) fires so late that the process was stopped. */
function stoppedSince(due: number): boolean {
  return performance.now() - due > STOPPED_MS
}

/**
 * Runs `run` with a signal that aborts after `ms`. The promise settles with `run`'s result, or at the
 * deadline with the error `timeoutError()` builds (the signal's reason), whichever comes first. One
 * timer per call, cleared when it settles; a late rejection of `run` is absorbed, never unhandled. A
 * deadline found on a thaw (the timer fired more than {@link STOPPED_MS} late) is extended once by `ms`.
 */
export function withDeadline<T>(
  ms: number,
  run: (signal: AbortSignal) => Promise<T>,
  timeoutError: () => Error,
): Promise<T> {
  const controller = new AbortController()
  return new Promise<T>((resolve, reject) => {
    const due = performance.now() + ms
    const expire = () => {
      const error = timeoutError()
      controller.abort(error)
      reject(error)
    }
    let timer = setTimeout(() => {
      // Fired far too late: the process was stopped (a freeze), and what answered meanwhile waits in a
      // socket that Node reads only after its overdue timers. One more bound to read it.
      if (stoppedSince(due)) timer = setTimeout(expire, ms)
      else expire()
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
 * from several connections arrive (a cluster). A timer that fires on a thaw (more than
 * {@link STOPPED_MS} late) bounds every call in flight again from then: their answers may be waiting in
 * the sockets. The timer is unref'd: it never keeps a process alive.
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
      promise.then(
        (value) => {
          if (this.leave(started, reject)) resolve(value)
        },
        (error: unknown) => {
          if (this.leave(started, reject)) reject(error)
        },
      )
    })
  }

  /** Takes a settled call out of its bucket; `false` when the timer has already rejected it. */
  private leave(started: number, reject: (error: Error) => void): boolean {
    const bucket = this.buckets.get(started)
    if (!bucket?.delete(reject)) return false
    this.pending--
    if (bucket.size === 0) this.buckets.delete(started)
    return true
  }

  /** When the armed timer is due (`performance.now()` time). */
  private due = 0

  private arm(ms: number): NodeJS.Timeout {
    this.due = performance.now() + ms
    return setTimeout(() => this.expire(), ms).unref()
  }

  /** The last thaw: calls that started before it are bounded from it instead (see `expire`). */
  private thawedAt = Number.NEGATIVE_INFINITY

  private expire(): void {
    this.timer = undefined
    const now = performance.now()
    if (now - this.due > STOPPED_MS) {
      // A thaw: every call in flight gets a new bound from now, to read what arrived while stopped.
      this.thawedAt = now
      this.timer = this.arm(this.ms + 1)
      return
    }
    for (const [started, bucket] of this.buckets) {
      // The bucket's last call started before `started + 1`; timers have millisecond resolution, so a
      // deadline within the next millisecond counts as reached. Buckets stay in deadline order: those
      // older than a thaw share the thaw's, and every later one is due after it.
      const deadline = Math.max(started + 1, started < this.thawedAt ? this.thawedAt : 0) + this.ms
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
