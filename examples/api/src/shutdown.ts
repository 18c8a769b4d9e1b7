/**
 * Ends the cache's Valkey connection when Lambda shuts the execution environment down. Lambda sends
 * SIGTERM to the runtime first only when an extension is registered (then it leaves the runtime about
 * 300 ms); `close()` is bounded by `timeouts.valkey`, so it fits. Without an extension the process is
 * simply stopped, and Valkey closes the connection by itself.
 */
export function closeOnShutdown(close: () => Promise<void>): void {
  process.once('SIGTERM', () => {
    close().finally(() => process.exit(0))
  })
}
