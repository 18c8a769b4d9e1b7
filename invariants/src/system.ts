// The servers a check runs against (S3 behind a fault proxy, one Valkey or Redis server or a 3+3
// cluster, all started by the testkit) and the faults it injects into them.
import {
  type S3Server,
  startS3,
  startS3FaultProxy,
  startSilenceProxy,
  startValkey,
  startValkeyCluster,
  type ValkeyClusterServer,
  type ValkeyServer,
} from '@valkey-s3-cache/testkit'
import { Cluster, type Redis } from 'iovalkey'
import { type Configuration, silenceable } from './program'
import type { ValkeyAccess } from './protocol'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Deletes a key only when it has a TTL: what a `volatile-*` eviction policy may take. */
const EVICT_VOLATILE =
  "if redis.call('PTTL', KEYS[1]) > 0 then return redis.call('DEL', KEYS[1]) end return 0"

/** The kinds of keys the cache writes, by name: an entry ends with its hash tag. */
const KINDS = [/}$/, /:gen$/, /:lease$/, /:seq$/, /:deps$/, /:sets$/]

type S3FaultProxy = Awaited<ReturnType<typeof startS3FaultProxy>>
type SilenceProxy = Awaited<ReturnType<typeof startSilenceProxy>>

export class System {
  readonly config: Configuration
  readonly s3: S3Server
  readonly proxy: S3FaultProxy
  private readonly standalone: ValkeyServer | undefined
  private readonly cluster: ValkeyClusterServer | undefined
  /** The workers' way to a standalone server, when they take a URL (see `silence`). */
  private readonly silencer: SilenceProxy | undefined
  /** An admin connection: the server's own, or a cluster client routing by key. */
  private admin: Redis | Cluster

  private constructor(
    config: Configuration,
    s3: S3Server,
    proxy: S3FaultProxy,
    servers: { standalone?: ValkeyServer; cluster?: ValkeyClusterServer; silencer?: SilenceProxy },
    admin: Redis | Cluster,
  ) {
    this.config = config
    this.s3 = s3
    this.proxy = proxy
    this.standalone = servers.standalone
    this.cluster = servers.cluster
    this.silencer = servers.silencer
    this.admin = admin
  }

  static async start(config: Configuration): Promise<System> {
    const s3 = await startS3()
    const proxy = await startS3FaultProxy(s3)
    const engine = { engine: config.engine }
    if (config.store === 'standalone') {
      const standalone = await startValkey(engine)
      const admin = await standalone.adminClient()
      const silencer = silenceable(config) ? await startSilenceProxy({ port: standalone.port }) : undefined
      return new System(config, s3, proxy, { standalone, silencer }, admin)
    }
    const cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1, ...engine })
    const { nodes, options } = cluster.clusterOptions()
    const admin = new Cluster(nodes, { ...options, clusterRetryStrategy: () => 100 })
    admin.on('error', () => {})
    await admin.ping()
    return new System(config, s3, proxy, { cluster }, admin)
  }

  /** Where workers find Valkey, for the configured client. */
  valkeyAccess(): ValkeyAccess {
    if (this.config.client === 'iovalkey') {
      const url = this.silencer?.url ?? this.standalone?.url ?? this.cluster?.url
      if (!url) throw new Error('no server')
      return { client: 'iovalkey', url }
    }
    const ports = this.standalone ? [this.standalone.port] : (this.cluster?.ports ?? [])
    return {
      client: this.config.client,
      cluster: this.cluster !== undefined,
      addresses: ports.map((port) => ({ host: '127.0.0.1', port })),
    }
  }

  /** The primaries' admin connections (the server itself when standalone). */
  private primaries(): Redis[] {
    return this.admin instanceof Cluster ? this.admin.nodes('master') : [this.admin]
  }

  /**
   * Every key gone, as between runs. On a cluster, on the primaries the nodes themselves report: after
   * a failover or a crash the admin client's own map may still name a replica (`READONLY`).
   */
  async flush(): Promise<void> {
    const cluster = this.cluster
    if (!cluster) {
      await (this.admin as Redis).flushall()
      return
    }
    await cluster.waitUntilOk()
    const primaries = (await cluster.topology()).filter((node) => node.role === 'primary')
    await Promise.all(primaries.map(async (node) => (await cluster.adminClient(node.port)).flushall()))
    await this.refreshSlots()
  }

  /** The admin client's slot map read again (the evictor and key counts go by it). */
  private refreshSlots(): Promise<void> {
    const admin = this.admin
    if (!(admin instanceof Cluster)) return Promise.resolve()
    return new Promise((resolve) => admin.refreshSlotsCache(() => resolve()))
  }

  /** The server's eviction policy, as `connect()` would see it. */
  async setEvictionPolicy(policy: string): Promise<void> {
    const ports = this.standalone ? [this.standalone.port] : (this.cluster?.ports ?? [])
    for (const port of ports) {
      const client = this.standalone ? (this.admin as Redis) : await this.cluster?.adminClient(port)
      await client?.config('SET', 'maxmemory-policy', policy)
    }
  }

  /**
   * Deletes random keys at about `perSecond` until stopped: only keys with a TTL when the eviction mode
   * is `volatile` (what ElastiCache Serverless's volatile-lru takes), any key when `allkeys`. Resolves to
   * how many it deleted.
   */
  evictor(perSecond: number, keyPrefix: string): () => Promise<number> {
    let running = perSecond > 0
    let deleted = 0
    const loop = (async () => {
      while (running) {
        const nodes = this.primaries()
        const node = nodes[Math.floor(Math.random() * nodes.length)]
        try {
          // The tag log is one key read by every load, so a random pick would almost never find it.
          const key = Math.random() < 0.1 ? `${keyPrefix}{tags}:log` : node ? await this.victim(node) : null
          if (key) {
            const gone =
              this.config.eviction === 'allkeys'
                ? await this.admin.del(key)
                : ((await this.admin.eval(EVICT_VOLATILE, 1, key)) as number)
            deleted += gone
          }
        } catch {
          // A node paused, crashed or failing over: evictions resume when it is back.
        }
        await sleep(1000 / perSecond)
      }
    })()
    return async () => {
      running = false
      await loop
      return deleted
    }
  }

  /**
   * A random key of a kind chosen first (an entry, or one kind of bookkeeping key: generation, lease,
   * sequencer, dependents set, sweep index), so that every kind is evicted often: an LRU takes the keys
   * read least, and bookkeeping keys are read far less than the entries every hit reads.
   */
  private async victim(node: Redis): Promise<string | null> {
    const kind = KINDS[Math.floor(Math.random() * KINDS.length)] as RegExp
    let key: string | null = null
    for (let tries = 0; tries < 12; tries++) {
      key = await node.randomkey()
      if (key === null || kind.test(key)) break
    }
    return key
  }

  /** SIGSTOP of one node (a primary on a cluster) for `ms`. */
  async pause(nodeIndex: number, ms: number): Promise<void> {
    if (this.standalone) {
      this.standalone.process.pause()
      await sleep(ms)
      this.standalone.process.resume()
      return
    }
    const cluster = this.cluster as ValkeyClusterServer
    const primaries = (await cluster.topology()).filter((node) => node.role === 'primary')
    const port = primaries[nodeIndex % primaries.length]?.port
    if (port === undefined) return
    cluster.pause(port)
    await sleep(ms)
    cluster.resume(port)
  }

  /**
   * Standalone: the server is killed and started again on its port, without its data. Cluster: a
   * primary is killed; its replica takes over once the cluster sees the failure; the killed node
   * comes back as a replica.
   */
  async crash(): Promise<void> {
    if (this.standalone) {
      await this.standalone.process.restart()
      return
    }
    const cluster = this.cluster as ValkeyClusterServer
    const primary = (await cluster.topology()).find((node) => node.role === 'primary')
    if (!primary) return
    await cluster.stopNode(primary.port)
    await cluster.waitUntilOk()
    await cluster.startNode(primary.port)
    await cluster.waitUntilOk()
  }

  /** Cluster: a replica promoted by `CLUSTER FAILOVER`, which waits for it to catch up (no data lost). */
  async failover(): Promise<void> {
    await this.cluster?.failover()
  }

  /** Every worker connection open now goes half-open (standalone, iovalkey; a no-op elsewhere). */
  silence(): void {
    this.silencer?.silence()
  }

  /** Every pub/sub connection on every running node killed: the caches' L1 subscriptions are lost. */
  async killSubscribers(): Promise<void> {
    const kill = (client: Redis | undefined) =>
      client?.call('CLIENT', 'KILL', 'TYPE', 'pubsub').catch(() => 0)
    if (this.standalone) {
      await kill(this.admin as Redis)
      return
    }
    // A node a crash has just stopped (or is starting) cannot be reached: its subscribers are gone with it.
    const cluster = this.cluster as ValkeyClusterServer
    const nodes = await cluster.topology().catch(() => cluster.ports.map((port) => ({ port })))
    await Promise.all(
      nodes.map(async (node) => kill(await cluster.adminClient(node.port).catch(() => undefined))),
    )
  }

  /** Keys and their memory now (for the soak). */
  async keyCount(): Promise<number> {
    let count = 0
    for (const node of this.primaries()) count += await node.dbsize()
    return count
  }

  async stop(): Promise<void> {
    this.admin.disconnect()
    await this.silencer?.stop()
    await this.standalone?.stop()
    await this.cluster?.stop()
    await this.proxy.stop()
    await this.s3.stop()
  }
}
