import { Redis, type RedisOptions } from 'iovalkey'
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
import type { Engine } from './find-valkey'
import { freePort } from './ports'
import { ServerProcess } from './server-process'
import { makeTlsMaterial, type TlsMaterial } from './tls'

export interface StartValkeyOptions {
  /** The server to run: `valkey-server` or Redis OSS's `redis-server`. Default `'valkey'`. */
  engine?: Engine
  /** Create an app user limited to a key prefix and disable the default user. Default: off. */
  acl?: boolean | AclOptions
  /** Serve TLS only, with a throwaway CA. Default: off. */
  tls?: boolean
  /** Extra config file lines. */
  config?: string[]
}

/** A standalone server of either engine (the name is from when Valkey was the only one). */
export interface ValkeyServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** The engine it runs (its binary was checked to be that engine). */
  readonly engine: Engine
  /** The engine's version, for example `'8.0.1'` or `'7.0.15'`. */
  readonly version: string
  /** `valkey://` or `valkeys://` URL with the app user's credentials when ACL is on. */
  readonly url: string
  readonly tls: TlsMaterial | undefined
  /** The app user, when started with `acl`. */
  readonly acl: AclUser | undefined
  /** A user allowed everything, when started with `acl`. */
  readonly admin: Credentials | undefined
  readonly process: ServerProcess
  /** iovalkey options for the app user (or the default user without ACL). */
  options(overrides?: RedisOptions): RedisOptions
  /** A connected client as the admin (or default) user; closed by `stop()`. */
  adminClient(): Promise<Redis>
  stop(): Promise<void>
}

function urlFor(port: number, tls: boolean, user: Credentials | undefined): string {
  const auth = user ? `${encodeURIComponent(user.username)}:${encodeURIComponent(user.password)}@` : ''
  return `${tls ? 'valkeys' : 'valkey'}://${auth}127.0.0.1:${port}`
}

export function tlsClientOptions(tls: TlsMaterial | undefined): Pick<RedisOptions, 'tls'> {
  return tls ? { tls: { ca: tls.ca, servername: 'localhost' } } : {}
}

/** Starts one standalone server (`valkey-server`, or `redis-server` with `engine: 'redis'`) on a free loopback port. */
export async function startValkey(options: StartValkeyOptions = {}): Promise<ValkeyServer> {
  const engine = options.engine ?? 'valkey'
  const dir = makeTempDir(engine)
  const port = await freePort()
  const tls = options.tls ? makeTlsMaterial(dir) : undefined
  const acl = resolveAcl(options.acl)
  const admin = acl ? { username: 'admin', password: randomSecret() } : undefined
  const process = new ServerProcess(
    dir,
    port,
    [...baseConfig(dir, port, tls), ...aclConfig(acl, admin), ...(options.config ?? [])],
    engine,
  )
  try {
    await process.start()
  } catch (error) {
    removeTempDir(dir)
    throw error
  }
  const clients: Redis[] = []
  const connectOptions = (user: Credentials | undefined, overrides?: RedisOptions): RedisOptions => ({
    host: '127.0.0.1',
    port,
    ...(user ? { username: user.username, password: user.password } : {}),
    ...tlsClientOptions(tls),
    maxRetriesPerRequest: 1,
    ...overrides,
  })
  return {
    host: '127.0.0.1',
    port,
    engine,
    version: process.version,
    url: urlFor(port, Boolean(tls), acl),
    tls,
    acl,
    admin,
    process,
    options: (overrides) => connectOptions(acl, overrides),
    async adminClient() {
      const client = new Redis(connectOptions(admin, { lazyConnect: true }))
      clients.push(client)
      // Tests stop and restart servers on purpose; an admin connection must not crash them.
      client.on('error', () => {})
      await client.connect()
      return client
    },
    async stop() {
      for (const client of clients) client.disconnect()
      await process.stop()
      removeTempDir(dir)
    },
  }
}
