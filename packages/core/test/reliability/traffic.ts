// Mixed read/write traffic against real servers while a fault is injected; every answer is judged
// against the VersionHistory of what S3 held.
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { type S3Server, VersionHistory } from '@valkey-s3-cache/testkit'
import { CacheWriteError, type S3Cache } from '../../src'
import { attempt, type Row, sleep } from './support'

export interface TrafficOptions {
  scenario: string
  s3: S3Server
  readers: S3Cache[]
  writer: S3Cache
  keys: string[]
  /** ttl + staleTtl of the caches: how long an entry a failed put could not replace may live on. */
  lagMs: number
  staleMs: number
  /** Injects the fault and heals it; traffic runs before, during and 300 ms after. */
  fault: () => Promise<void>
  /** Concurrent reader loops per cache. Default 4. */
  loops?: number
}

const decoder = new TextDecoder()

export async function seed(s3: S3Server, history: VersionHistory, keys: string[]) {
  for (const key of keys) {
    const record = history.begin(key, 0)
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: JSON.stringify({ key, v: 0 }) }),
    )
    record.end = Date.now()
  }
}

export async function runTraffic(options: TrafficOptions): Promise<Row & { failures: string[] }> {
  const history = new VersionHistory(options.lagMs + 500)
  await seed(options.s3, history, options.keys)
  const row = { scenario: options.scenario, requests: 0, hits: 0, stale: 0, errors: 0, wrong: 0, untyped: 0 }
  const failures: string[] = []
  let done = false
  let writes = 0
  let writeFailures = 0
  let torn = 0
  const errorNames = new Map<string, number>()
  const pick = () => options.keys[Math.floor(Math.random() * options.keys.length)] as string

  const reader = async (cache: S3Cache) => {
    for (let i = 0; i < 2000 && !done; i++) {
      const key = pick()
      const start = Date.now()
      const result = await attempt(() => cache.get(key))
      const end = Date.now()
      row.requests++
      if (!result.ok) {
        if (result.typed) {
          row.errors++
          const name = `${(result.error as Error).name}: ${(result.error as Error).message.slice(0, 60)}`
          errorNames.set(name, (errorNames.get(name) ?? 0) + 1)
        } else {
          row.untyped++
          failures.push(`untyped: ${String(result.error)}`)
        }
        await sleep(10)
        continue
      }
      const { status, body } = result.value
      if (status === 'hit') row.hits++
      if (status === 'stale') row.stale++
      const text = decoder.decode(body)
      let doc: { key?: string; v?: number } = {}
      try {
        doc = JSON.parse(text)
      } catch {}
      // s3rver rewrites an object file in place, so a GET racing a PUT can read it empty or partial
      // (S3 itself is atomic). Such a load (status miss, during a write) is counted apart, not as wrong;
      // if the library ever cached it, a later hit would return it and count as wrong.
      // A load while Valkey is down is labelled `bypass`: it came from S3 just the same.
      const loaded = status === 'miss' || status === 'bypass'
      if (doc.key === undefined && loaded && history.writing(key, start, end)) {
        torn++
        continue
      }
      const verdict =
        doc.key === key && typeof doc.v === 'number'
          ? history.judge(key, doc.v, start, end, status, options.staleMs)
          : 'wrong'
      if (verdict === 'wrong') {
        row.wrong++
        failures.push(
          `${key}: ${JSON.stringify(text.slice(0, 80))} (${status}, ${body.byteLength} bytes) over [${start}, ${end}] ` +
            `(${end - start} ms), latest v${history.latest(key)}`,
        )
      }
      await sleep(2)
    }
  }
  const writer = async () => {
    for (let i = 0; i < 500 && !done; i++) {
      const key = pick()
      const v = history.latest(key) + 1
      const record = history.begin(key, v)
      const result = await attempt(() => options.writer.put(key, JSON.stringify({ key, v })))
      record.end = Date.now()
      writes++
      if (!result.ok) {
        // CacheWriteError: S3 has it, the entry may still hold the old body for ttl + staleTtl.
        record.writeFailed = true
        writeFailures++
        if (!(result.error instanceof CacheWriteError) && !result.typed) {
          row.untyped++
          failures.push(`put untyped: ${String(result.error)}`)
        }
      }
      await sleep(40)
    }
  }
  const loops = options.loops ?? 4
  const running = [
    ...options.readers.flatMap((cache) => Array.from({ length: loops }, () => reader(cache))),
    writer(),
  ]
  await sleep(300)
  await options.fault()
  await sleep(300)
  done = true
  await Promise.all(running)
  return {
    ...row,
    note: `${writes} puts, ${writeFailures} reported CacheWriteError, ${torn} torn s3rver reads; read errors ${JSON.stringify(Object.fromEntries(errorNames))}`,
    failures,
  }
}

/** Reads until the cache answers from Valkey again (the breaker probes after its cooldown). */
export async function untilHit(cache: S3Cache, key: string): Promise<string> {
  let status = ''
  for (let i = 0; i < 100 && status !== 'hit'; i++) {
    const result = await attempt(() => cache.get(key))
    status = result.ok ? result.value.status : 'error'
    if (status !== 'hit') await sleep(100)
  }
  return status
}
