import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { S3Client } from '@aws-sdk/client-s3'

/** What the proxy does with each request: forward it, answer an error, or never answer. */
export type S3FaultMode = 'pass' | '500' | '503' | 'slowdown' | 'hang'

const errorXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`

/**
 * An HTTP proxy in front of the S3 server that fails on command (500, 503, SlowDown, or never
 * answers) and delays requests or answers: the faults a real S3 server cannot be made to produce.
 */
export async function startS3FaultProxy(target: { port: number }) {
  let mode: S3FaultMode = 'pass'
  let served = 0
  let delayMaxMs = 0
  let answerDelayMaxMs = 0
  const hung = new Set<ServerResponse>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    served++
    if (mode === 'hang') {
      hung.add(res)
      req.resume()
      res.on('close', () => hung.delete(res))
      return
    }
    if (mode !== 'pass') {
      req.resume()
      const [status, code] =
        mode === '500'
          ? [500, 'InternalError']
          : mode === '503'
            ? [503, 'ServiceUnavailable']
            : [503, 'SlowDown']
      res.writeHead(status, { 'content-type': 'application/xml' })
      res.end(errorXml(code, `fault proxy: ${mode}`))
      return
    }
    const forward = () => {
      const upstream = httpRequest(
        { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const reply = () => {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
          }
          if (answerDelayMaxMs > 0) {
            answer.pause()
            setTimeout(reply, Math.floor(Math.random() * answerDelayMaxMs))
          } else reply()
        },
      )
      upstream.on('error', () => res.destroy())
      req.pipe(upstream)
    }
    if (delayMaxMs > 0) {
      req.pause()
      setTimeout(forward, Math.floor(Math.random() * delayMaxMs))
    } else forward()
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const clients: S3Client[] = []
  return {
    port,
    get served() {
      return served
    },
    /** Requests held open by `hang` right now (an aborted request leaves this set). */
    get hanging() {
      return hung.size
    },
    /** Forwards each request after a random delay of up to `ms` (0: none), to widen race windows. */
    delay(ms: number) {
      delayMaxMs = ms
    },
    /**
     * Holds each answer for a random delay of up to `ms` (0: none) after S3 has served it: the body a
     * load receives may then be older than what S3 holds, as over a slow network.
     */
    delayAnswers(ms: number) {
      answerDelayMaxMs = ms
    },
    set(next: S3FaultMode) {
      mode = next
      if (next !== 'hang') for (const res of hung) res.destroy()
    },
    /** An S3 client that talks to S3 through this proxy (path-style, 2 attempts). */
    client() {
      const client = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 2,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      })
      clients.push(client)
      return client
    },
    async stop() {
      for (const res of hung) res.destroy()
      for (const client of clients) client.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
