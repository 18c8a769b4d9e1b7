import { connect, createServer, type Socket } from 'node:net'

/**
 * A TCP proxy in front of a real valkey-server whose `silence()` turns every connection open at that
 * moment half-open: the client's socket stays connected, but nothing it sends is forwarded and nothing
 * comes back, as when the network drops a connection without a reset (a NAT or an ENI forgetting it
 * across a long Lambda freeze). The server side is closed. Connections made later pass through.
 * `holdReplies(ms)` delays what the server answers instead (a slow path back): commands still reach
 * it at once, and run there, while their replies wait.
 */
export async function startSilenceProxy(target: { host?: string; port: number }) {
  const open = new Set<{ client: Socket; server: Socket }>()
  const silenced = new Set<Socket>()
  let accepted = 0
  const proxy = createServer((client) => {
    accepted++
    const server = connect(target.port, target.host ?? '127.0.0.1')
    const pair = { client, server }
    open.add(pair)
    client.pipe(server)
    server.pipe(client)
    const drop = () => {
      open.delete(pair)
      client.destroy()
      server.destroy()
    }
    client.on('error', drop).on('close', drop)
    server.on('error', drop).on('close', () => {
      // A silenced pair's server side closes; its client side stays open and hears nothing.
      if (!silenced.has(client)) drop()
    })
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const address = proxy.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    port,
    url: `valkey://127.0.0.1:${port}`,
    /** Connections accepted so far. */
    get accepted() {
      return accepted
    },
    /**
     * Holds what the server sends on every open connection for `ms`, then passes it on in order: the
     * client's commands reach the server and run at once, their replies arrive `ms` later.
     */
    holdReplies(ms: number): void {
      for (const { client, server } of open) {
        server.unpipe(client)
        const held: Buffer[] = []
        const keep = (chunk: Buffer) => held.push(chunk)
        server.on('data', keep)
        setTimeout(() => {
          server.off('data', keep)
          for (const chunk of held) client.write(chunk)
          server.pipe(client)
        }, ms)
      }
    },
    /** Makes every open connection half-open (see above). */
    silence(): void {
      for (const pair of open) {
        open.delete(pair)
        silenced.add(pair.client)
        pair.client.unpipe(pair.server)
        pair.server.unpipe(pair.client)
        // Read and drop what the client sends, so its writes never block: the peer is simply gone.
        pair.client.on('data', () => {})
        pair.client.on('close', () => silenced.delete(pair.client))
        pair.server.destroy()
      }
    },
    async stop(): Promise<void> {
      for (const pair of open) pair.client.destroy()
      for (const client of silenced) client.destroy()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    },
  }
}
