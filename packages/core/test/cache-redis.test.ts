// The whole cache contract on Redis OSS (ElastiCache runs Redis OSS 7.x as well as Valkey): a standalone
// server through iovalkey clients and through a GLIDE client, a 3-primary/3-replica cluster by URL, and
// that cluster over TLS as the least-privilege ACL user of docs/security.md (acl).
import { GlideClient, Logger } from '@valkey/valkey-glide'
import { startValkey, startValkeyCluster } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { documentedAccessString } from './support/access-strings'
import { cacheContract } from './support/contract'

// GLIDE logs every refused command at WARN; the contract provokes refusals on purpose.
Logger.setLoggerConfig('off')

cacheContract('redis standalone', async () => {
  const server = await startValkey({ engine: 'redis' })
  console.log(`cache contract on ${server.engine} ${server.version}, standalone`)
  const clients: Redis[] = []
  return {
    shared: true,
    valkey: () => {
      const client = new Redis(server.options())
      clients.push(client)
      return client
    },
    async stop() {
      for (const client of clients) client.disconnect()
      await server.stop()
    },
  }
})

cacheContract('redis 3+3 cluster', async () => {
  const cluster = await startValkeyCluster({ engine: 'redis' })
  console.log(`cache contract on ${cluster.engine} ${cluster.version}, 3+3 cluster`)
  return { shared: true, valkey: () => ({ url: cluster.url }), stop: () => cluster.stop() }
})

cacheContract('least-privilege ACL user on a redis 3+3 cluster over TLS', async () => {
  const acl = { keyPrefix: 's3c:', commands: documentedAccessString('acl') }
  const cluster = await startValkeyCluster({ engine: 'redis', acl, tls: true })
  console.log(
    `cache contract on ${cluster.engine} ${cluster.version}, 3+3 cluster, TLS, least-privilege user`,
  )
  const ca = cluster.tls?.ca
  return {
    shared: true,
    valkey: () => ({ url: cluster.url, tls: { ca, servername: 'localhost' } }),
    stop: () => cluster.stop(),
  }
})

cacheContract('GLIDE client on a redis standalone server', async () => {
  const server = await startValkey({ engine: 'redis' })
  console.log(`cache contract through GLIDE on ${server.engine} ${server.version}, standalone`)
  const clients = await Promise.all(
    [0, 1, 2, 3].map(() =>
      GlideClient.createClient({
        addresses: [{ host: server.host, port: server.port }],
        requestTimeout: 250,
      }),
    ),
  )
  let next = 0
  return {
    shared: true,
    // GLIDE clients connect when created, and the contract asks for one per cache: handed out in turn.
    valkey: () => clients[next++ % clients.length] as GlideClient,
    stop: async () => {
      for (const client of clients) client.close()
      await server.stop()
    },
  }
})
