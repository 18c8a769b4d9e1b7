import type { Cluster, Redis } from 'iovalkey'
import { reconnectDelay } from '../connect/create-client'
import type { ValkeyClient } from '../connect/options'
import { withDeadline } from '../deadline'
import { ValkeyConnectionError } from '../errors'
import { slotOf } from './slot'
import { type ChangeListener, HEARTBEAT_MS, type Subscription } from './store'

/**
 * The connection that serves `channel`: a standalone client's own server, or the primary of the
 * channel's slot (a sharded channel's messages are delivered by the node that serves its slot).
 */
function ownerOf(client: ValkeyClient, channel: string): Redis {
  if (!client.isCluster) return client as Redis
  const cluster = client as Cluster
  const address = cluster.slots[slotOf(channel)]?.[0]
  const primaries = cluster.nodes('master')
  const owner = primaries.find((node) => `${node.options.host}:${node.options.port}` === address)
  if (owner) return owner
  if (primaries[0]) return primaries[0]
  throw new Error('the cluster has no primary to subscribe on yet')
}

/** Resolves once the cluster has read its slots again (or failed to: the old map is used then). */
function refreshedSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => cluster.refreshSlotsCache(() => resolve()))
}

/**
 * A subscription on iovalkey: a connection of its own, a copy of the one serving the channel (same
 * TLS, user and credentials, IAM tokens included), subscribed with SSUBSCRIBE on a cluster and
 * SUBSCRIBE on a standalone server. Any error or close on it (a kill, a failover, a slot moved away,
 * which the server announces with an unsubscribe the client does not expect) drops it and reports the
 * loss; a new one follows with the main client's reconnect backoff, on the slot's owner of then. So
 * does a `PING` left unanswered for `timeoutMs` (one every {@link HEARTBEAT_MS}).
 */
export class ValkeySubscriber implements Subscription {
  private readonly ready: () => Promise<ValkeyClient>
  private readonly channel: string
  private readonly listener: ChangeListener
  private connection: Redis | undefined
  private attempts = 0
  private readonly timeoutMs: number
  private retry: NodeJS.Timeout | undefined
  private heartbeat: NodeJS.Timeout | undefined
  private closed = false

  /** `ready` resolves to the main client once it is ready (a cluster: its slots known). */
  constructor(
    ready: () => Promise<ValkeyClient>,
    channel: string,
    listener: ChangeListener,
    /** How long the connection may take to answer its heartbeat `PING`, ms. */
    timeoutMs: number,
  ) {
    this.ready = ready
    this.channel = channel
    this.listener = listener
    this.timeoutMs = timeoutMs
    void this.open()
  }

  private async open(): Promise<void> {
    this.retry = undefined
    let connection: Redis | undefined
    try {
      const client = await this.ready()
      // After a loss the slot may have moved (a reshard, a failover): ask the cluster where it is now.
      if (this.attempts > 0 && client.isCluster) await refreshedSlots(client as Cluster)
      if (this.closed) return
      const sharded = client.isCluster === true
      connection = ownerOf(client, this.channel).duplicate({
        lazyConnect: true,
        // One connection per subscription: a dropped one is replaced (maybe on another node), not revived.
        retryStrategy: () => null,
        autoResubscribe: false,
        enableOfflineQueue: true,
      })
      const opened = connection
      this.connection = opened
      opened.on('error', (error: Error) => this.drop(opened, error))
      opened.once('close', () => this.drop(opened, undefined))
      opened.on(sharded ? 'smessage' : 'message', (_channel: string, text: string) => {
        if (this.connection === opened) this.listener.message(text)
      })
      await opened.connect()
      await (sharded ? opened.ssubscribe(this.channel) : opened.subscribe(this.channel))
      if (this.connection !== opened) return
      this.attempts = 0
      this.heartbeat = setInterval(() => this.beat(opened), HEARTBEAT_MS)
      this.heartbeat.unref()
      this.listener.subscribed()
    } catch (error) {
      this.drop(connection, error as Error)
    }
  }

  private beat(connection: Redis): void {
    const ms = this.timeoutMs
    withDeadline(
      ms,
      () => connection.ping(),
      () => new ValkeyConnectionError(`the subscription's connection did not answer a PING within ${ms} ms`),
    ).catch((error: Error) => this.drop(connection, error))
  }

  renew(reason: Error): void {
    if (this.connection) this.drop(this.connection, reason)
  }

  /** Ends `connection` (if it is the current one), reports the loss and schedules the next attempt. */
  private drop(connection: Redis | undefined, error: Error | undefined): void {
    if (connection !== this.connection || this.closed) return
    this.connection = undefined
    clearInterval(this.heartbeat)
    connection?.disconnect()
    this.listener.lost(error)
    this.retry = setTimeout(() => void this.open(), reconnectDelay(++this.attempts))
    this.retry.unref()
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retry)
    clearInterval(this.heartbeat)
    const connection = this.connection
    this.connection = undefined
    connection?.disconnect()
  }
}
