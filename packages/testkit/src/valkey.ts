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
import { freePort } from './ports'
import { makeTlsMaterial, type TlsMaterial } from './tls'
import { ValkeyProcess } from './valkey-process'

export interface StartValkeyOptions {
  /** Create an app user limited to a key prefix and disable the default user. Default: off. */
  acl?: boolean | AclOptions
  /** Serve TLS only, with a throwaway CA. Default: off. */
  tls?: boolean
  /** Extra `valkey.conf` lines. */
  config?: string[]
}

export interface ValkeyServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** `valkey://` or `valkeys://` URL with the app user's credentials when ACL is on. */
  readonly url: string
  readonly tls: TlsMaterial | undefined
  /** The app user, when started with `acl`. */
  readonly acl: AclUser | undefined
  /** A user allowed everything, when started with `acl`. */
  readonly admin: Credentials | undefined
  readonly process: ValkeyProcess
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

/** Starts one standalone `valkey-server` on a free loopback port. */
export async function startValkey(options: StartValkeyOptions = {}): Promise<ValkeyServer> {
  const dir = makeTempDir('valkey')
  const port = await freePort()
  const tls = options.tls ? makeTlsMaterial(dir) : undefined
  const acl = resolveAcl(options.acl)
  const admin = acl ? { username: 'admin', password: randomSecret() } : undefined
  const process = new ValkeyProcess(dir, port, [
    ...baseConfig(dir, port, tls),
    ...aclConfig(acl, admin),
    ...(options.config ?? []),
  ])
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
