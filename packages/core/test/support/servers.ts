import { ServerPair, type startS3 } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { afterAll, beforeAll } from 'vitest'
import type { S3CacheOptions } from '../../src'
import { makeCache, type TestCache } from './harness'

/** The servers of a core test file, with an admin connection and caches on connections of their own. */
class CoreServers extends ServerPair {
  private adminClient: Redis | undefined
  private readonly made: TestCache[] = []
  private readonly clients: Redis[] = []

  /** An admin connection to `valkey`, to read and plant keys behind the cache's back. */
  get admin(): Redis {
    if (!this.adminClient) throw new Error('useServers: the servers are started in beforeAll')
    return this.adminClient
  }

  override async start(): Promise<void> {
    await super.start()
    this.adminClient = await this.valkey.adminClient()
  }

  override async stop(): Promise<void> {
    for (const c of this.made) await c.cache.close()
    // close() leaves a client passed in open, so the connections made here are ended here.
    for (const client of this.clients) client.disconnect()
    await super.stop()
  }

  /** A cache (see `makeCache`) on a Valkey connection of its own, unless `valkey` is given. Bound: it may be destructured. */
  readonly cacheOnOwnClient = (options: Partial<S3CacheOptions> = {}): TestCache => {
    let client = options.valkey
    if (client === undefined) {
      client = new Redis(this.valkey.options())
      this.clients.push(client)
    }
    const c = makeCache(this.s3, { ...options, valkey: client })
    this.made.push(c)
    return c
  }
}

/**
 * A real S3 server and a real valkey-server for the tests of the enclosing `describe` (or file):
 * started in `beforeAll`, stopped in `afterAll` with every cache made on them.
 */
export function useServers(s3Options?: Parameters<typeof startS3>[0]): CoreServers {
  const servers = new CoreServers(s3Options)
  beforeAll(() => servers.start())
  afterAll(() => servers.stop())
  return servers
}

/** Sum of all command calls except INFO itself, from INFO commandstats. */
export async function commandCount(admin: Redis): Promise<number> {
  const stats = (await admin.info('commandstats')) as string
  let total = 0
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (match[1] !== 'info') total += Number(match[2])
  }
  return total
}
