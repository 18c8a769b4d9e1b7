import { startValkey, startValkeyCluster } from '@valkey-s3-cache/testkit'
import { documentedAccessString } from './support/access-strings'
import { cacheContract } from './support/contract'

// The access string documented in docs/security.md, applied exactly as written.
const accessString = documentedAccessString('acl')

cacheContract('least-privilege ACL user on a standalone server', async () => {
  const server = await startValkey({ acl: { keyPrefix: 's3c:', commands: accessString } })
  return { shared: true, valkey: () => ({ url: server.url }), stop: () => server.stop() }
})

cacheContract('least-privilege ACL user on a 3+3 cluster over TLS', async () => {
  const cluster = await startValkeyCluster({ acl: { keyPrefix: 's3c:', commands: accessString }, tls: true })
  const ca = cluster.tls?.ca
  return {
    shared: true,
    valkey: () => ({ url: cluster.url, tls: { ca, servername: 'localhost' } }),
    stop: () => cluster.stop(),
  }
})
