import type { Cluster, Redis } from 'iovalkey'
import type { ValkeyClient } from '../connect/options'
import { withDeadline } from '../deadline'
import { ValkeyConnectionError } from '../errors'
import { policyOf, type ScriptArg, ScriptedStore } from './scripted'
import { SCRIPTS, type Script } from './scripts'
import type { ChangeListener, Subscription } from './store'
import { ValkeySubscriber } from './valkey-subscriber'
import { WriteBatch } from './write-batch'

/** How long after a failed client creation the next use tries again. */
const RECREATE_COOLDOWN_MS = 1000

/** Waits until a client is ready (see `untilReady` in connect/create-client). */
export type WhenReady = (client: ValkeyClient) => Promise<void>

/**
 * The connections the cache sends commands to: the client itself, or on a cluster every primary
 * (scripts, GETs) and, when reads go to replicas, every replica.
 */
function servingNodes(client: ValkeyClient): { primaries: Redis[]; replicas: Redis[] } {
  if (!client.isCluster) return { primaries: [client as Redis], replicas: [] }
  const cluster = client as Cluster
  const replicas = cluster.options.scaleReads === 'slave' ? cluster.nodes('slave') : []
  return { primaries: cluster.nodes('master'), replicas }
}

/**
 * The Valkey store: one GET per read, and one script (EVALSHA) per conditional write.
 * Works the same on a standalone server and on a cluster, since every script's keys
 * share one hash tag.
 */
export class ValkeyStore extends ScriptedStore {
  private client: ValkeyClient | undefined
  private connecting: Promise<ValkeyClient> | undefined
  private readonly create: (() => Promise<ValkeyClient>) | undefined
  private readonly whenReady: WhenReady
  private readonly timeoutMs: number
  private retryAt = 0
  private lastError: unknown
  private closed = false
  /** GETs of one tick leave in one write (see WriteBatch). */
  private batch: WriteBatch | undefined

  /**
   * Either a client to use (left open by `close()`), or a factory called on first use. A factory
   * that fails (Valkey unreachable at a cold start) is called again after a short cooldown, so
   * an environment born during an outage starts using Valkey once it is back.
   */
  constructor(
    source: ValkeyClient | (() => Promise<ValkeyClient>),
    settings: {
      /** Waits until a client is ready, within its connection bounds (`connect()`). */
      whenReady: WhenReady
      /** Bound on the commands of `connect()` and `close()`, ms. */
      timeoutMs: number
    },
  ) {
    super()
    if (typeof source === 'function') this.create = source
    else this.client = source
    this.whenReady = settings.whenReady
    this.timeoutMs = settings.timeoutMs
  }

  /**
   * Everything the first request would otherwise wait for: the client (and, in `cluster: 'auto'`,
   * its `INFO cluster`), the first connection and its AUTH, a cluster's slots and a connection to
   * every node that serves the cache, and the scripts loaded on every primary.
   */
  async connect(): Promise<void> {
    const client = await this.connected()
    if (this.closed) throw new ValkeyConnectionError('the cache is closed')
    await this.whenReady(client)
    const { primaries, replicas } = servingNodes(client)
    const load = (node: Redis) => Promise.all(SCRIPTS.map((script) => node.script('LOAD', script.source)))
    const ms = this.timeoutMs
    await withDeadline(
      ms,
      () => Promise.all([...primaries.map(load), ...replicas.map((node) => node.ping())]),
      () => new ValkeyConnectionError(`Valkey did not load the cache's scripts within ${ms} ms`),
    )
  }

  /** The connections whose last `ping` has not answered yet. */
  private readonly pinging = new Set<Redis>()

  async ping(): Promise<void> {
    const { primaries, replicas } = servingNodes(await this.connected())
    await Promise.all(
      [...primaries, ...replicas].map(async (node) => {
        this.pinging.add(node)
        try {
          await node.ping()
        } finally {
          this.pinging.delete(node)
        }
      }),
    )
  }

  /**
   * Destroys the sockets still waiting for a `PING` (see `Store.dropUnanswered`): a standalone client
   * reconnects, and a cluster drops the node connection and makes a new one when it next needs that
   * node. Cheaper than iovalkey's `socketTimeout`, a timer armed and a listener added on every command.
   */
  dropUnanswered(): void {
    const mine = this.create !== undefined
    for (const node of this.pinging) {
      if (mine)
        node.stream?.destroy(
          new ValkeyConnectionError('Valkey did not answer a PING: replacing the connection'),
        )
    }
    this.pinging.clear()
  }

  async evictionPolicies(): Promise<string[]> {
    const { primaries } = servingNodes(await this.connected())
    const ms = this.timeoutMs
    const infos = await withDeadline(
      ms,
      () => Promise.all(primaries.map((node) => node.info('memory'))),
      () => new ValkeyConnectionError(`INFO memory got no answer within ${ms} ms`),
    )
    return infos.map(policyOf).filter((policy): policy is string => policy !== undefined)
  }

  private connected(): ValkeyClient | Promise<ValkeyClient> {
    if (this.client) return this.client
    if (this.connecting) return this.connecting
    if (this.closed) return Promise.reject(new ValkeyConnectionError('the cache is closed'))
    if (!this.create || Date.now() < this.retryAt) return Promise.reject(this.lastError)
    this.connecting = this.create().then(
      (client) => {
        this.client = client
        this.connecting = undefined
        if (this.closed) client.disconnect()
        return client
      },
      (error: unknown) => {
        this.connecting = undefined
        this.lastError = error
        this.retryAt = Date.now() + RECREATE_COOLDOWN_MS
        throw error
      },
    )
    return this.connecting
  }

  protected async run(script: Script, keys: string[], args: ScriptArg[]): Promise<unknown> {
    const client = await this.connected()
    try {
      return await client.evalsha(script.sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error
      return client.eval(script.source, keys.length, ...keys, ...args)
    }
  }

  // Not async: a hit's GET is the client's own promise, with no wrapper around it.
  get(key: string): Promise<Buffer | null> {
    if (!this.client) return Promise.resolve(this.connected()).then(() => this.get(key))
    this.batch ??= new WriteBatch(this.client)
    this.batch.join()
    return this.client.getBuffer(key)
  }

  protected async sharded(): Promise<boolean> {
    return (await this.connected()).isCluster === true
  }

  subscribe(channel: string, listener: ChangeListener): Subscription {
    return new ValkeySubscriber(
      // Ready is enough: the subscription needs the slots, not the scripts `connect()` also loads.
      async () => {
        const client = await this.connected()
        await this.whenReady(client)
        return client
      },
      channel,
      listener,
      this.timeoutMs,
    )
  }

  /**
   * Ends the client this store created (a client passed in stays open): `QUIT`, or a disconnect when
   * Valkey does not answer within the bound. A client still being created is ended when it arrives.
   */
  async close(): Promise<void> {
    this.closed = true
    const client = this.create ? this.client : undefined
    if (!client) return
    const ms = this.timeoutMs
    await withDeadline(
      ms,
      () => client.quit(),
      () => new ValkeyConnectionError(`QUIT got no answer within ${ms} ms`),
    ).catch(() => client.disconnect())
  }
}
