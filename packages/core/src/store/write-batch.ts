import type { Writable } from 'node:stream'
import type { Cluster, Redis } from 'iovalkey'
import type { ValkeyClient } from '../connect/options'

const awaitingReply = (node: Redis): boolean => node.commandQueue.length > 0

/**
 * Coalesces the commands a process issues in one tick into one socket write per connection: under
 * load, the first command of a tick corks the client's sockets and the next tick uncorks them, so 64
 * concurrent GETs leave as one `writev` instead of 64 `write` calls (a system call each, the largest
 * cost of a hit under load). A command sent while nothing awaits a reply (a Lambda's one request at a
 * time) leaves at once: corking it would only cost it a tick and the `writev` path. Standard Node
 * stream calls on the client's public `stream` (each cluster node's own); a socket that is not there
 * yet is skipped.
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
    const nodes = this.client.isCluster ? (this.client as Cluster).nodes('all') : undefined
    // Nothing in flight: no other command is likely to follow in this tick.
    if (!(nodes ? nodes.some(awaitingReply) : awaitingReply(this.client as Redis))) return
    const corked: Writable[] = []
    for (const { stream } of nodes ?? [this.client as Redis]) {
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
