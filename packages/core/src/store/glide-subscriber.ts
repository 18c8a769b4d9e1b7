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

type PubSubMessage = { channel: unknown; message: unknown }

/**
 * The one reader of a GLIDE client's message queue. GLIDE queues every pub/sub message of a client in
 * one place, and each `getPubSubMessage()` takes the next: two loops on one client (two caches sharing
 * it, or one left waiting by a cache closed earlier) would each take messages the other's channel
 * needed. So every subscription on a client registers here, and one loop hands each message to all.
 */
class MessagePump {
  private readonly next: () => Promise<PubSubMessage>
  private readonly subscribers = new Set<GlideSubscriber>()
  private running = false

  constructor(next: () => Promise<PubSubMessage>) {
    this.next = next
  }

  add(subscriber: GlideSubscriber): void {
    this.subscribers.add(subscriber)
    if (!this.running) void this.run()
  }

  delete(subscriber: GlideSubscriber): void {
    this.subscribers.delete(subscriber)
  }

  // A call already waiting when the last subscriber leaves stays with the client; the next subscriber
  // takes its message, so no second loop ever starts beside it.
  private async run(): Promise<void> {
    this.running = true
    try {
      while (this.subscribers.size > 0) {
        const { channel, message } = await this.next()
        for (const subscriber of this.subscribers) subscriber.deliver(String(channel), String(message))
      }
    } catch (error) {
      for (const subscriber of [...this.subscribers]) subscriber.failed(error as Error)
    } finally {
      this.running = false
    }
  }
}

const pumps = new WeakMap<GlidePubSubLike, MessagePump>()

function pumpOf(client: GlidePubSubLike & Required<Pick<GlidePubSubLike, 'getPubSubMessage'>>): MessagePump {
  let pump = pumps.get(client)
  if (!pump) {
    pump = new MessagePump(client.getPubSubMessage.bind(client))
    pumps.set(client, pump)
  }
  return pump
}

/**
 * A subscription on the app's GLIDE client: SSUBSCRIBE on a cluster client, SUBSCRIBE on a standalone
 * one, and the client's message queue read by its {@link MessagePump}. GLIDE keeps the subscription
 * across reconnects and failovers by itself without saying so: a message missed meanwhile shows as a gap
 * in the change numbers (see `coherence/`), not here. The client must not itself read pub/sub messages
 * by polling, nor have a pub/sub callback configured (GLIDE then keeps messages from the queue: reported
 * as lost).
 */
export class GlideSubscriber implements Subscription {
  private readonly client: GlidePubSubLike
  private readonly channels: Set<string>
  private readonly listener: ChangeListener
  private readonly timeoutMs: number
  private attempts = 0
  private retry: NodeJS.Timeout | undefined
  private pump: MessagePump | undefined
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
      this.pump = pumpOf(client as Parameters<typeof pumpOf>[0])
      this.pump.add(this)
    } catch (error) {
      this.failed(error as Error)
    }
  }

  /** A message the client received, on any of its channels. */
  deliver(channel: string, message: string): void {
    if (!this.closed && this.channels.has(channel)) this.listener.message(message)
  }

  /** Reading the client's messages failed (it closed, say): reported, and subscribed again later. */
  failed(error: Error): void {
    this.pump?.delete(this)
    this.pump = undefined
    if (this.closed) return
    this.listener.lost(error)
    this.retry = setTimeout(() => void this.open(), reconnectDelay(++this.attempts))
    this.retry.unref()
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retry)
    this.pump?.delete(this)
    this.pump = undefined
    const unsubscribe = this.sharded ? this.client.sunsubscribeLazy : this.client.unsubscribeLazy
    await unsubscribe?.call(this.client, this.channels).catch(() => {})
  }
}
