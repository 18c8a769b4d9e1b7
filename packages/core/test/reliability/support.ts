// Shared pieces of the reliability suite: a history of what S3 held (to judge every answer), a
// process-level watcher for unhandled rejections and uncaught exceptions, an S3 fault proxy, and
// the summary table each file prints at the end.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { S3Client } from '@aws-sdk/client-s3'
import { S3CacheError } from '../../src'

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One row of a file's summary table. */
export interface Row {
  scenario: string
  requests: number
  hits: number
  stale: number
  errors: number
  wrong: number
  untyped: number
  note?: string
}

export function printTable(title: string, rows: Row[]): void {
  const head = ['scenario', 'requests', 'hits', 'stale', 'typed errors', 'untyped', 'wrong', 'note']
  const body = rows.map((r) => [
    r.scenario,
    String(r.requests),
    String(r.hits),
    String(r.stale),
    String(r.errors),
    String(r.untyped),
    String(r.wrong),
    r.note ?? '',
  ])
  const lines = [head, ...body].map((cells) => `| ${cells.join(' | ')} |`)
  lines.splice(1, 0, `|${head.map(() => '---').join('|')}|`)
  console.log(`\n${title}\n${lines.join('\n')}\n`)
}

/** Counts unhandled rejections and uncaught exceptions while installed. */
export function watchProcess() {
  const seen: unknown[] = []
  const s3rverFaults: unknown[] = []
  // The in-process S3 stand-in (s3rver) stores a key as a file name and rejects, unhandled, on
  // segments over the file system's 255 bytes (real S3 takes 1024-byte keys): counted apart.
  const fromS3rver = (error: unknown) => {
    const text = `${(error as Error)?.stack ?? ''} ${(error as { path?: string })?.path ?? ''}`
    return /s3rver/i.test(text)
  }
  const record = (error: unknown) => (fromS3rver(error) ? s3rverFaults : seen).push(error)
  const onRejection = (reason: unknown) => record(reason)
  const onException = (error: unknown) => record(error)
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  return {
    get count() {
      return seen.length
    },
    seen,
    get s3rverFaults() {
      return s3rverFaults.length
    },
    stop() {
      process.off('unhandledRejection', onRejection)
      process.off('uncaughtException', onException)
    },
  }
}

/** Runs `fn`, classifying a failure as a typed S3CacheError or not. */
export async function attempt<T>(fn: () => Promise<T>) {
  try {
    return { ok: true as const, value: await fn() }
  } catch (error) {
    return { ok: false as const, error, typed: error instanceof S3CacheError }
  }
}

export type FaultMode = 'pass' | '500' | '503' | 'slowdown' | 'hang'

const errorXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`

/** An HTTP proxy in front of the S3 server that fails on command: 500, 503, SlowDown, or never answers. */
export async function startS3FaultProxy(target: { port: number }) {
  let mode: FaultMode = 'pass'
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
    set(next: FaultMode) {
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
