import { reconnectDelay } from '../connect/create-client'
import type { ChangeListener, Subscription } from './store'

/** The pub/sub part of a GLIDE client (2.x): subscriptions made at run time, messages by polling. */
export interface GlidePubSubLike {
  /** `GlideClusterClient` only: sharded channels. */
  ssubscribe?(channels: Set<string>, timeoutMs: number): Promise<void>
  sunsubscribeLazy?(channels: Set<string>): Promise<void>
  subscribe?(channels: Set<string>, timeoutMs: number): Promise<void>
  unsubscribeLazy?(channels: Set<string>): Promise<void>
  getPubSubMessage?(): Promise<{ channel: unknown; message: unknown }>
}

/**
 * A subscription on the app's GLIDE client: SSUBSCRIBE on a cluster client, SUBSCRIBE on a standalone
 * one, and the client's message queue read in a loop. GLIDE keeps the subscription across reconnects
 * and failovers by itself without saying so: a message missed meanwhile shows as a gap in the change
 * numbers (see `coherence/`), not here. The client must not itself read pub/sub messages by polling, nor
 * have a pub/sub callback configured (GLIDE then keeps messages from the queue: reported as lost).
 */
export class GlideSubscriber implements Subscription {
  private readonly client: GlidePubSubLike
  private readonly channels: Set<string>
  private readonly listener: ChangeListener
  private readonly timeoutMs: number
  private attempts = 0
  private retry: NodeJS.Timeout | undefined
  private closed = false

  constructor(client: GlidePubSubLike, channel: string, listener: ChangeListener, timeoutMs: number) {
    this.client = client
    this.channels = new Set([channel])
    this.listener = listener
    this.timeoutMs = timeoutMs
    void this.open()
  }

  private get sharded(): boolean {
    return typeof this.client.ssubscribe === 'function'
  }

  private async open(): Promise<void> {
    this.retry = undefined
    try {
      const { client } = this
      if (typeof client.getPubSubMessage !== 'function')
        throw new Error('this GLIDE client cannot subscribe at run time (GLIDE 2.0 or later can)')
      await (this.sharded
        ? client.ssubscribe?.(this.channels, this.timeoutMs)
        : client.subscribe?.(this.channels, this.timeoutMs))
      if (this.closed) return
      this.attempts = 0
      this.listener.subscribed()
      await this.pump(client.getPubSubMessage.bind(client))
    } catch (error) {
      if (this.closed) return
      this.listener.lost(error as Error)
      this.retry = setTimeout(() => void this.open(), reconnectDelay(++this.attempts))
      this.retry.unref()
    }
  }

  /** Hands the channel's messages to the listener until the client closes or this does. */
  private async pump(next: () => Promise<{ channel: unknown; message: unknown }>): Promise<void> {
    while (!this.closed) {
      const { channel, message } = await next()
      if (this.closed) return
      if (this.channels.has(String(channel))) this.listener.message(String(message))
    }
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retry)
    const unsubscribe = this.sharded ? this.client.sunsubscribeLazy : this.client.unsubscribeLazy
    await unsubscribe?.call(this.client, this.channels).catch(() => {})
  }
}
