import { inspect } from 'node:util'
import type { ValkeyClient } from '../../src/connect/options'

/** Polls `fn` until it resolves, or throws its last error after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await fn()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(everyMs)
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Everything an error could print when logged: message, stack, causes and own properties. */
export function everythingIn(error: unknown): string {
  return `${inspect(error, { depth: 10, showHidden: true })}\n${JSON.stringify(error, Object.getOwnPropertyNames(error ?? {}))}`
}

/** Closes clients created by a test file. */
export function clientTracker() {
  const clients: ValkeyClient[] = []
  return {
    track<T extends ValkeyClient>(client: T): T {
      clients.push(client)
      return client
    },
    closeAll(): void {
      for (const client of clients.splice(0)) client.disconnect()
    },
  }
}
