/** Reports connection errors once per outage: a client's retries repeat the same error every second or two. */
export interface OutageReporter {
  /** Maps the error and hands it on, unless the same message was already reported in this outage. */
  report(error: unknown): void
  /** The connection is ready again: the next outage is reported afresh. */
  recovered(): void
}

/** `onError` receives each distinct (mapped) error once per outage; a throwing `onError` is ignored. */
export function outageReporter(
  onError: ((error: Error) => void) | undefined,
  map: (error: unknown) => Error,
): OutageReporter {
  const seen = new Set<string>()
  return {
    report(error) {
      const mapped = map(error)
      if (seen.has(mapped.message)) return
      seen.add(mapped.message)
      try {
        onError?.(mapped)
      } catch {
        // A broken logger must not turn a connection error into a crash.
      }
    },
    recovered() {
      seen.clear()
    },
  }
}
