import { randomBytes } from 'node:crypto'

/** A token that identifies one lease holder; only it may release or commit under the lease. */
export function leaseToken(): string {
  return randomBytes(12).toString('base64url')
}

const FIRST_POLL_MS = 10
const MAX_POLL_MS = 100

/** What a poll answers when the leader released the lease without storing anything. */
export const LEASE_GONE: unique symbol = Symbol('lease-gone')

/**
 * While another process holds the lease, polls for the entry it will write, backing off
 * from 10 ms to 100 ms, for at most `waitMs`. Resolves to the first value `read` accepts,
 * or `undefined` when the wait ends or `read` answers {@link LEASE_GONE} (the caller then
 * loads by itself: at most one poll interval after the leader let go).
 */
export async function waitForEntry<T>(
  read: () => Promise<T | typeof LEASE_GONE | undefined>,
  waitMs: number,
  signal?: AbortSignal,
): Promise<T | undefined> {
  const deadline = Date.now() + waitMs
  let delay = FIRST_POLL_MS
  while (Date.now() < deadline) {
    // Nobody waits for the answer any more.
    if (signal?.aborted) throw signal.reason
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))))
    const found = await read()
    if (found === LEASE_GONE) return undefined
    if (found !== undefined) return found
    delay = Math.min(delay * 2, MAX_POLL_MS)
  }
  return undefined
}
