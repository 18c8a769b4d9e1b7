import { execFile } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type ClusterOptions, Redis, type RedisOptions } from 'iovalkey'
import { makeTempDir, removeTempDir } from './cleanup'
import {
  type AclOptions,
  type AclUser,
  aclConfig,
  baseConfig,
  type Credentials,
  randomSecret,
  resolveAcl,
} from './config'
import { type Engine, requireBinaries } from './find-valkey'
import { freePorts } from './ports'
import { ServerProcess } from './server-process'
import { makeTlsMaterial, type TlsMaterial } from './tls'
import { tlsClientOptions } from './valkey'

const run = promisify(execFile)
const READY_TIMEOUT_MS = 30_000
/** How long a replica waits for its primary during a manual failover (`CLUSTER_MF_TIMEOUT` of both engines), plus a margin. */
const MANUAL_FAILOVER_TIMEOUT_MS = 5_500

export interface StartValkeyClusterOptions {
  /** The server every node runs: `valkey-server` or Redis OSS's `redis-server`. Default `'valkey'`. */
  engine?: Engine
  /** Default 3. */
  primaries?: number
  /** Default 1. */
  replicasPerPrimary?: number
  acl?: boolean | AclOptions
  tls?: boolean
}

export interface ClusterNodeInfo {
  port: number
  role: 'primary' | 'replica'
  /** For a replica, the port of its primary. */
  primaryPort?: number
}

/** A cluster of either engine (the name is from when Valkey was the only one). */
export interface ValkeyClusterServer {
  readonly ports: number[]
  /** The engine every node runs (its binary was checked to be that engine). */
  readonly engine: Engine
  /** The engine's version, for example `'8.0.1'` or `'7.0.15'`. */
  readonly version: string
  readonly tls: TlsMaterial | undefined
  readonly acl: AclUser | undefined
  readonly admin: Credentials | undefined
  /** Startup nodes and options for an iovalkey `Cluster` as the app user. */
  clusterOptions(overrides?: ClusterOptions): {
    nodes: { host: string; port: number }[]
    options: ClusterOptions
  }
  /** A `valkey://`/`valkeys://` URL of the first node with the app user's credentials. */
  readonly url: string
  /** Current topology, read from `CLUSTER NODES`. */
  topology(): Promise<ClusterNodeInfo[]>
  /** Promotes a replica of `primaryPort` (default: the first primary) with `CLUSTER FAILOVER`; resolves with the new primary's port. */
  failover(primaryPort?: number): Promise<number>
  /** Moves `slots` hash slots from one primary to another with `valkey-cli` (or `redis-cli`) `--cluster reshard`, then waits for `cluster_state:ok`. */
  reshard(fromPort: number, toPort: number, slots: number): Promise<void>
  /** The port of the primary that serves `slot` now. */
  primaryOf(slot: number): Promise<number>
  /** Moves one slot, with its keys, to the primary on `toPort` (SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE). */
  moveSlot(slot: number, toPort: number): Promise<void>
  /** SIGSTOP / SIGCONT one node. */
  pause(port: number): void
  resume(port: number): void
  stopNode(port: number): Promise<void>
  startNode(port: number): Promise<void>
  /** Resolves when every running node reports `cluster_state:ok` with all 16384 slots. */
  waitUntilOk(): Promise<void>
  /** A client as the admin (or default) user to one node; closed by `stop()`. */
  adminClient(port: number): Promise<Redis>
  stop(): Promise<void>
}

/** Starts `primaries × (1 + replicasPerPrimary)` cluster nodes and joins them with `valkey-cli` (or `redis-cli`) `--cluster create`. */
export async function startValkeyCluster(
  options: StartValkeyClusterOptions = {},
): Promise<ValkeyClusterServer> {
  const engine = options.engine ?? 'valkey'
  const primaries = options.primaries ?? 3
  const replicas = options.replicasPerPrimary ?? 1
  const count = primaries * (1 + replicas)
  const root = makeTempDir('cluster')
  const tls = options.tls ? makeTlsMaterial(root) : undefined
  const acl = resolveAcl(options.acl)
  const admin = acl ? { username: 'admin', password: randomSecret() } : undefined
  const allPorts = await freePorts(count * 2)
  const ports = allPorts.slice(0, count)
  const nodes = new Map<number, ServerProcess>()
  ports.forEach((port, i) => {
    const dir = join(root, `node-${port}`)
    mkdirSync(dir)
    const lines = [
      ...baseConfig(dir, port, tls),
      'cluster-enabled yes',
      'cluster-config-file nodes.conf',
      'cluster-node-timeout 2000',
      'repl-diskless-sync-delay 0',
      `cluster-port ${allPorts[count + i]}`,
      ...(tls ? ['tls-cluster yes', 'tls-replication yes'] : []),
      ...aclConfig(acl, admin),
      ...(admin ? [`masteruser ${admin.username}`, `masterauth ${admin.password}`] : []),
    ]
    nodes.set(port, new ServerProcess(dir, port, lines, engine))
  })
  const clients: Redis[] = []
  const node = (port: number): ServerProcess => {
    const found = nodes.get(port)
    if (!found) throw new Error(`no cluster node on port ${port}`)
    return found
  }
  const adminOptions = (port: number): RedisOptions => ({
    host: '127.0.0.1',
    port,
    ...(admin ? { username: admin.username, password: admin.password } : {}),
    ...tlsClientOptions(tls),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  })
  const withAdmin = async <T>(port: number, fn: (client: Redis) => Promise<T>): Promise<T> => {
    const client = new Redis(adminOptions(port))
    client.on('error', () => {})
    try {
      await client.connect()
      return await fn(client)
    } finally {
      client.disconnect()
    }
  }
  // Each running node is asked about itself ("myself" line), which is authoritative
  // even while gossip has not yet spread a failover to the other nodes.
  const topology = async (): Promise<ClusterNodeInfo[]> => {
    const running = ports.filter((port) => node(port).running)
    return Promise.all(
      running.map(async (port) => {
        const text = (await withAdmin(port, (c) => c.call('CLUSTER', 'NODES'))) as string
        const lines = text
          .trim()
          .split('\n')
          .map((line) => line.split(' '))
        const portOf = (id: string) =>
          Number(
            lines
              .find((l) => l[0] === id)?.[1]
              ?.split('@')[0]
              ?.split(':')
              .pop(),
          )
        const myself = lines.find((l) => l[2]?.includes('myself')) ?? []
        return myself[2]?.includes('master')
          ? { port, role: 'primary' as const }
          : { port, role: 'replica' as const, primaryPort: portOf(myself[3] ?? '') }
      }),
    )
  }
  const waitUntilOk = async (): Promise<void> => {
    const deadline = Date.now() + READY_TIMEOUT_MS
    let last = ''
    while (Date.now() < deadline) {
      const running = ports.filter((port) => node(port).running)
      const infos = await Promise.all(
        running.map((port) =>
          withAdmin(port, (c) => c.call('CLUSTER', 'INFO')).catch((e: Error) => e.message),
        ),
      )
      last = String(infos[0])
      if (
        infos.every(
          (info) => /cluster_state:ok/.test(String(info)) && /cluster_slots_ok:16384/.test(String(info)),
        )
      )
        return
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    throw new Error(`cluster did not reach cluster_state:ok:\n${last}`)
  }

  const primaryOf = async (slot: number): Promise<number> => {
    const running = ports.find((port) => node(port).running) as number
    const ranges = (await withAdmin(running, (c) => c.call('CLUSTER', 'SLOTS'))) as [
      number,
      number,
      [string, number],
    ][]
    const range = ranges.find(([first, last]) => first <= slot && slot <= last)
    if (!range) throw new Error(`no primary serves slot ${slot}`)
    return range[2][1]
  }

  const auth = admin ? ['--user', admin.username, '--pass', admin.password, '--no-auth-warning'] : []
  const tlsArgs = tls ? ['--tls', '--cacert', tls.caFile, '--sni', 'localhost'] : []
  const cliArgs = (...args: string[]) => [...tlsArgs, ...auth, ...args]

  try {
    await Promise.all([...nodes.values()].map((p) => p.start()))
    const { cli } = requireBinaries(engine)
    await run(cli, [
      ...cliArgs(),
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ])
    await waitUntilOk()
  } catch (error) {
    for (const p of nodes.values()) await p.stop()
    removeTempDir(root)
    throw error
  }

  const app = acl ?? admin
  return {
    ports,
    engine,
    version: node(ports[0] as number).version,
    tls,
    acl,
    admin,
    url: `${tls ? 'valkeys' : 'valkey'}://${app ? `${encodeURIComponent(app.username)}:${encodeURIComponent(app.password)}@` : ''}127.0.0.1:${ports[0]}`,
    clusterOptions: (overrides) => ({
      nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      options: {
        dnsLookup: (address, callback) => callback(null, address),
        redisOptions: {
          ...(acl ? { username: acl.username, password: acl.password } : {}),
          ...tlsClientOptions(tls),
        },
        ...overrides,
      },
    }),
    topology,
    async failover(primaryPort) {
      const current = await topology()
      const target = primaryPort ?? current.find((n) => n.role === 'primary')?.port
      const replica = current.find((n) => n.role === 'replica' && n.primaryPort === target)
      if (!replica) throw new Error(`no replica of primary ${target} to fail over to`)
      // A primary answers a manual failover only for a node it already knows as its replica. Right after
      // the cluster forms, gossip may not have told it yet (seen on Redis OSS 7.0) and the request times
      // out on the replica after 5 s: so wait until the primary knows, and ask again after that timeout.
      const replicaId = (await withAdmin(replica.port, (c) => c.call('CLUSTER', 'MYID'))) as string
      const primaryKnows = async () => {
        const text = (await withAdmin(target as number, (c) => c.call('CLUSTER', 'NODES'))) as string
        const mine = text.split('\n').find((line) => line.startsWith(`${replicaId} `))
        return /\bslave\b/.test(mine?.split(' ')[2] ?? '')
      }
      const deadline = Date.now() + READY_TIMEOUT_MS
      let askedAt = 0
      while (Date.now() < deadline) {
        // Done when both sides agree: the replica calls itself primary and the old primary follows it.
        const promoted = (await withAdmin(replica.port, (c) => c.call('ROLE'))) as unknown[]
        const demoted = (await withAdmin(target as number, (c) => c.call('ROLE'))) as unknown[]
        if (promoted[0] === 'master' && demoted[0] === 'slave') {
          await waitUntilOk()
          return replica.port
        }
        const waited = Date.now() - askedAt > MANUAL_FAILOVER_TIMEOUT_MS
        if (promoted[0] !== 'master' && waited && (await primaryKnows())) {
          await withAdmin(replica.port, (c) => c.call('CLUSTER', 'FAILOVER'))
          askedAt = Date.now()
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      throw new Error(`replica ${replica.port} did not take over from primary ${target}`)
    },
    async reshard(fromPort, toPort, slots) {
      const id = (port: number) => withAdmin(port, (c) => c.call('CLUSTER', 'MYID')) as Promise<string>
      const [from, to] = await Promise.all([id(fromPort), id(toPort)])
      const { cli } = requireBinaries(engine)
      await run(cli, [
        ...cliArgs('--cluster', 'reshard', `127.0.0.1:${fromPort}`),
        ...['--cluster-from', from, '--cluster-to', to, '--cluster-slots', String(slots), '--cluster-yes'],
      ])
      await waitUntilOk()
    },
    primaryOf,
    async moveSlot(slot, toPort) {
      const fromPort = await primaryOf(slot)
      if (fromPort === toPort) return
      const id = (port: number) => withAdmin(port, (c) => c.call('CLUSTER', 'MYID')) as Promise<string>
      const [from, to] = await Promise.all([id(fromPort), id(toPort)])
      await withAdmin(toPort, (c) => c.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', from))
      await withAdmin(fromPort, async (c) => {
        await c.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', to)
        const auth = admin ? ['AUTH2', admin.username, admin.password] : []
        for (;;) {
          const keys = (await c.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[]
          if (keys.length === 0) break
          await c.call('MIGRATE', '127.0.0.1', toPort, '', 0, 5000, ...auth, 'KEYS', ...keys)
        }
      })
      const primaries = (await topology()).filter((n) => n.role === 'primary').map((n) => n.port)
      for (const port of [toPort, fromPort, ...primaries.filter((p) => p !== toPort && p !== fromPort)]) {
        await withAdmin(port, (c) => c.call('CLUSTER', 'SETSLOT', slot, 'NODE', to))
      }
      await waitUntilOk()
    },
    pause: (port) => node(port).pause(),
    resume: (port) => node(port).resume(),
    stopNode: (port) => node(port).stop(),
    startNode: (port) => node(port).start(),
    waitUntilOk,
    async adminClient(port) {
      const client = new Redis(adminOptions(port))
      clients.push(client)
      // Tests stop and restart servers on purpose; an admin connection must not crash them.
      client.on('error', () => {})
      await client.connect()
      return client
    },
    async stop() {
      for (const client of clients) client.disconnect()
      await Promise.all([...nodes.values()].map((p) => p.stop()))
      removeTempDir(root)
    },
  }
}
