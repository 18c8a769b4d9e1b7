// The soak: concurrent POST /objects through the local API Gateway stand-in and the examples/api
// handler, while objects change in S3 (direct PutObject, then invalidate through the cache) and
// Valkey is killed and restarted once. Every 200 answer is checked against S3's history.
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { createHandler } from '@valkey-s3-cache/example-api'
import { findValkeyServer, startS3, startValkey, VersionHistory } from '@valkey-s3-cache/testkit'
import { ApiKeys, startGateway, UsagePlan } from '../gateway'

export interface SoakOptions {
  seconds: number
  concurrency: number
  /** Number of objects the requests spread over. Default 20. */
  keys?: number
  /** httpCache's response ttl in the handler, in ms. Default 2000. */
  httpTtl?: number
  progress?: (line: string) => void
}

export interface SoakResult {
  seconds: number
  concurrency: number
  requests: number
  ok: number
  /** x-cache: HIT (httpCache) or a Valkey hit of the object (handler log). */
  hits: number
  /** Answers older than the newest version, allowed because they carry `age` (httpCache) or status stale. */
  aged: number
  stale: number
  errors: number
  /** Non-200 answers caused by reading an object s3rver was rewriting in place (S3 itself is atomic). */
  torn: number
  wrong: number
  writes: number
  invalidateRetries: number
  valkeyRestarts: number
  statusCodes: Record<string, number>
  errorNames: Record<string, number>
  wrongSamples: string[]
}

const API_KEY = 'soak-key-0123456789abcdef'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const progress = options.progress ?? (() => {})
  if (!findValkeyServer()) throw new Error('the soak needs a valkey-server binary ($VALKEY_SERVER or PATH)')
  const keyCount = options.keys ?? 20
  const keys = Array.from({ length: keyCount }, (_, i) => `soak/doc-${i}.json`)
  const s3 = await startS3({ bucket: 'soak-bucket' })
  const valkey = await startValkey()
  const errorNames: Record<string, number> = {}
  let objectHits = 0
  let objectStale = 0
  const handler = createHandler({
    bucket: s3.bucket,
    valkey: valkey.url,
    s3: s3.newClient(),
    httpTtl: options.httpTtl ?? 2000,
    serviceName: 'objects-soak',
    log: (line) => {
      const entry = JSON.parse(line) as { object?: string; error?: { name: string } }
      if (entry.object === 'hit') objectHits++
      if (entry.object === 'stale') objectStale++
      if (entry.error) bump(errorNames, entry.error.name)
    },
  })
  const plan = new UsagePlan({
    name: 'soak',
    throttle: { rateLimit: 1_000_000, burstLimit: 1_000_000 },
    quota: { limit: 1_000_000_000, period: 'DAY' },
  })
  const gateway = await startGateway({
    handler,
    functionName: 'objects',
    stage: 'soak',
    routes: [{ resource: '/objects', method: 'POST', apiKeyRequired: true }],
    apiKeys: new ApiKeys([{ id: 'soak', name: 'soak', value: API_KEY, plan }]),
    cors: {
      allowOrigin: '*',
      allowMethods: ['OPTIONS', 'POST'],
      allowHeaders: ['Content-Type', 'X-Api-Key'],
      maxAgeSeconds: 600,
    },
    host: '127.0.0.1',
    port: 0,
  })
  const history = new VersionHistory()
  const result: SoakResult = {
    seconds: options.seconds,
    concurrency: options.concurrency,
    requests: 0,
    ok: 0,
    hits: 0,
    aged: 0,
    stale: 0,
    errors: 0,
    torn: 0,
    wrong: 0,
    writes: 0,
    invalidateRetries: 0,
    valkeyRestarts: 0,
    statusCodes: {},
    errorNames,
    wrongSamples: [],
  }
  const putS3 = (key: string, v: number) =>
    s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: JSON.stringify({ key, v }),
        ContentType: 'application/json',
      }),
    )
  try {
    for (const key of keys) {
      const record = history.begin(key, 0)
      await putS3(key, 0)
      record.end = Date.now()
    }
    const deadline = Date.now() + options.seconds * 1000
    const maxRequests = options.seconds * 5000
    const pick = () => keys[Math.floor(Math.random() * keys.length)] as string

    const client = async () => {
      while (Date.now() < deadline && result.requests < maxRequests) {
        const key = pick()
        const start = Date.now()
        result.requests++
        let status = 0
        let text = ''
        let xCache = ''
        let age = 0
        try {
          const response = await fetch(`${gateway.url}/objects`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
            body: JSON.stringify({ key }),
            signal: AbortSignal.timeout(10_000),
          })
          status = response.status
          xCache = response.headers.get('x-cache') ?? ''
          age = Number(response.headers.get('age') ?? 0)
          text = await response.text()
        } catch (error) {
          bump(result.statusCodes, `fetch ${(error as Error).name}`)
          result.errors++
          continue
        }
        const end = Date.now()
        bump(result.statusCodes, String(status))
        if (status !== 200) {
          if (history.writing(key, start, end)) result.torn++
          else result.errors++
          continue
        }
        result.ok++
        if (xCache === 'HIT') result.hits++
        let doc: { key?: string; v?: number } = {}
        try {
          doc = JSON.parse(text)
        } catch {}
        // An httpCache HIT was a correct answer when it was stored, `age` seconds ago (rounded down).
        const from = xCache === 'HIT' ? start - (age + 1) * 1000 : start
        const verdict =
          doc.key === key && typeof doc.v === 'number' ? history.judge(key, doc.v, from, end) : 'wrong'
        if (verdict === 'wrong') {
          result.wrong++
          if (result.wrongSamples.length < 5)
            result.wrongSamples.push(
              `${key}: ${text.slice(0, 60)} x-cache=${xCache} age=${age} over ${end - start} ms, latest v${history.latest(key)}`,
            )
        } else if (doc.v !== undefined && history.judge(key, doc.v, start, end) === 'wrong') result.aged++
      }
    }

    const writer = async () => {
      while (Date.now() < deadline && result.writes < options.seconds * 50) {
        await sleep(40)
        const key = pick()
        const v = history.latest(key) + 1
        const record = history.begin(key, v)
        await putS3(key, v)
        // Invalidate through the cache until Valkey takes it (it fails while Valkey is down), as an
        // S3 event consumer would retry. The old version stays acceptable until then.
        for (let attempt = 0; attempt < 100; attempt++) {
          try {
            await handler.cache.invalidate(key)
            break
          } catch {
            result.invalidateRetries++
            await sleep(100)
          }
        }
        record.end = Date.now()
        result.writes++
      }
    }

    const chaos = async () => {
      await sleep(Math.min(options.seconds * 400, 20_000))
      if (Date.now() >= deadline) return
      progress('killing valkey-server (SIGKILL) …')
      await valkey.process.stop()
      await sleep(1000)
      await valkey.process.start()
      result.valkeyRestarts++
      progress('valkey-server restarted')
    }

    const ticker = setInterval(
      () =>
        progress(
          `${result.requests} requests, ${result.hits} hits, ${result.errors} errors, ${result.wrong} wrong`,
        ),
      5000,
    )
    try {
      await Promise.all([...Array.from({ length: options.concurrency }, client), writer(), chaos()])
    } finally {
      clearInterval(ticker)
    }
    result.hits += objectHits
    result.stale = objectStale
    return result
  } finally {
    await gateway.close()
    await handler.close()
    await valkey.stop()
    await s3.stop()
  }
}

/** The soak's figures as a markdown table. */
export function soakTable(r: SoakResult): string {
  const rows: [string, string | number][] = [
    ['duration (s) × concurrency', `${r.seconds} × ${r.concurrency}`],
    ['requests', r.requests],
    ['200 answers', r.ok],
    ['hits (httpCache HIT + Valkey object hits)', r.hits],
    ['older than newest, within httpCache age', r.aged],
    ['stale (object status)', r.stale],
    ['errors (non-200 not explained by s3rver torn reads)', r.errors],
    ['torn s3rver reads (non-200 while the object was being rewritten)', r.torn],
    ['wrong answers', r.wrong],
    ['S3 writes (+ invalidate)', r.writes],
    ['invalidate retries (Valkey down)', r.invalidateRetries],
    ['Valkey restarts', r.valkeyRestarts],
    ['status codes', JSON.stringify(r.statusCodes)],
    ['handler errors by name', JSON.stringify(r.errorNames)],
  ]
  return ['| soak | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n')
}
