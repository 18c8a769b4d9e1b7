// The whole cache contract on GLIDE clients (@valkey/valkey-glide) handed to the cache: standalone,
// and a 3+3 cluster over TLS as the least-privilege ACL user of docs/security.md for GLIDE (acl-glide).
import { Decoder, GlideClient, GlideClusterClient, Logger } from '@valkey/valkey-glide'
import { startValkey, startValkeyCluster } from '@valkey-s3-cache/testkit'
import { documentedAccessString } from './support/access-strings'
import { cacheContract } from './support/contract'

// GLIDE logs every refused command at WARN; the contract provokes refusals on purpose.
Logger.setLoggerConfig('off')

const accessString = documentedAccessString('acl-glide')

/** Clients handed out in turn: GLIDE clients connect when created, and the contract asks for one per cache. */
function pool<T extends { close(): void }>(clients: T[]) {
  let next = 0
  return {
    take: () => clients[next++ % clients.length] as T,
    close: () => {
      for (const client of clients) client.close()
    },
  }
}

cacheContract('GLIDE client on a standalone server', async () => {
  const server = await startValkey()
  const clients = pool(
    await Promise.all(
      [0, 1, 2, 3].map(() =>
        GlideClient.createClient({
          addresses: [{ host: server.host, port: server.port }],
          requestTimeout: 250,
        }),
      ),
    ),
  )
  return {
    shared: true,
    valkey: clients.take,
    stop: async () => {
      clients.close()
      await server.stop()
    },
  }
})

// An app may set `defaultDecoder: Decoder.Bytes` for its own binary reads: every reply of the cache's own
// commands must read the same, whatever the client's default decoder.
cacheContract('GLIDE client with defaultDecoder: Decoder.Bytes on a standalone server', async () => {
  const server = await startValkey()
  const clients = pool(
    await Promise.all(
      [0, 1, 2, 3].map(() =>
        GlideClient.createClient({
          addresses: [{ host: server.host, port: server.port }],
          requestTimeout: 250,
          defaultDecoder: Decoder.Bytes,
        }),
      ),
    ),
  )
  return {
    shared: true,
    valkey: clients.take,
    stop: async () => {
      clients.close()
      await server.stop()
    },
  }
})

cacheContract('GLIDE cluster client as the least-privilege ACL user on a 3+3 cluster over TLS', async () => {
  const cluster = await startValkeyCluster({ acl: { keyPrefix: 's3c:', commands: accessString }, tls: true })
  const { acl, tls } = cluster
  if (!acl || !tls) throw new Error('the cluster has no ACL user or TLS material')
  const clients = pool(
    await Promise.all(
      [0, 1, 2, 3].map(() =>
        GlideClusterClient.createClient({
          addresses: [{ host: '127.0.0.1', port: cluster.ports[0] as number }],
          useTLS: true,
          credentials: { username: acl.username, password: acl.password },
          requestTimeout: 250,
          advancedConfiguration: { tlsAdvancedConfiguration: { rootCertificates: tls.ca } },
        }),
      ),
    ),
  )
  return {
    shared: true,
    valkey: clients.take,
    stop: async () => {
      clients.close()
      await cluster.stop()
    },
  }
})
