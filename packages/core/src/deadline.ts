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
