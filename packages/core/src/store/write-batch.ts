import type { Writable } from 'node:stream'
import type { Cluster, Redis } from 'iovalkey'
import type { ValkeyClient } from '../connect/options'

/**
 * Coalesces the commands a process issues in one tick into one socket write per connection: the
 * first command of a tick corks the client's sockets and the next tick uncorks them, so 64 concurrent
 * GETs leave as one `writev` instead of 64 `write` calls (a system call each, the largest cost of a
 * hit under load). A lone command waits one `process.nextTick`. Standard Node stream calls on the
 * client's public `stream` (each cluster node's own); a socket that is not there yet is skipped.
 */
export class WriteBatch {
  private readonly client: ValkeyClient
  private corked: Writable[] | undefined

  constructor(client: ValkeyClient) {
    this.client = client
  }

  /** Call before sending a command. */
  join(): void {
    if (this.corked) return
    const streams = this.client.isCluster
      ? (this.client as Cluster).nodes('all').map((node) => node.stream)
      : [(this.client as Redis).stream]
    const corked: Writable[] = []
    for (const stream of streams) {
      if (stream && !stream.destroyed) {
        stream.cork()
        corked.push(stream)
      }
    }
    this.corked = corked
    process.nextTick(this.flush)
  }

  // One function for every tick, not a closure per tick.
  private readonly flush = (): void => {
    const corked = this.corked ?? []
    this.corked = undefined
    for (const stream of corked) stream.uncork()
  }
}
