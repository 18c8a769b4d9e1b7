import { type S3Server, startS3, startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CacheConfigError,
  createS3Cache,
  InvalidKeyError,
  type S3Cache,
  type S3CacheError,
  type S3CacheOptions,
} from '../../src'
import { attempt, printTable, type Row, watchProcess } from './support'

const SEED = 9_2025
const PREFIX = 's3c:bad:'
const MAX = 2000

const specialKeys = [
  '',
  'a'.repeat(1024),
  'a'.repeat(1025),
  'é'.repeat(512),
  'é'.repeat(513),
  '{',
  '}',
  '{tag}x',
  '*',
  'a*b?[c]',
  'line\r\nbreak',
  'nul\0byte',
  'ünïcødé/日本語/🙂.json',
  '../up',
  ' ',
]
const keyArb = fc.oneof(
  fc.constantFrom(...specialKeys),
  fc.string({ unit: 'binary', minLength: 0, maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('{', '}', '*', '\r', '\n', '\0', 'a', '/', '😀'), maxLength: 30 }),
)
const bodyArb = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ minLength: 0, maxLength: 3000 }),
  fc.constant(new Uint8Array(MAX * 4).fill(7)),
  fc.string().map((s) => s),
)

const utf8 = (key: string) => Buffer.byteLength(key, 'utf8')
const bytesOf = (body: Uint8Array | string) =>
  typeof body === 'string' ? new TextEncoder().encode(body) : body

describe('bad input: keys, bodies and options (fast-check, real Valkey and S3)', () => {
  let s3: S3Server
  let valkey: ValkeyServer
  let cache: S3Cache
  const prefixes = new Set<string>([PREFIX])
  const rows: Row[] = []

  beforeAll(async () => {
    s3 = await startS3()
    valkey = await startValkey()
    cache = createS3Cache({
      s3: s3.newClient(),
      bucket: s3.bucket,
      valkey: valkey.url,
      keyPrefix: PREFIX,
      maxObjectBytes: MAX,
    })
  })
  afterAll(async () => {
    await cache?.close()
    await valkey?.stop()
    await s3?.stop()
    printTable('Reliability: bad input (packages/core/test/reliability/bad-input.test.ts)', rows)
  })

  it('keys × bodies: put then get gives the same bytes, or a typed error (InvalidKeyError for empty / > 1024 bytes)', {
    timeout: 120_000,
  }, async () => {
    const watch = watchProcess()
    const row: Row = {
      scenario: 'keys × bodies',
      requests: 0,
      hits: 0,
      stale: 0,
      errors: 0,
      wrong: 0,
      untyped: 0,
    }
    const seenErrors = new Map<string, number>()
    try {
      await fc.assert(
        fc.asyncProperty(keyArb, bodyArb, async (key, body) => {
          const invalid = key.length === 0 || utf8(key) > 1024
          const bytes = bytesOf(body)
          const put = await attempt(() => cache.put(key, body))
          const get = await attempt(() => cache.get(key))
          const again = await attempt(() => cache.get(key))
          row.requests += 3
          for (const r of [put, get, again]) {
            if (r.ok) continue
            if (r.typed) {
              row.errors++
              const name = (r.error as S3CacheError).name
              seenErrors.set(name, (seenErrors.get(name) ?? 0) + 1)
            } else row.untyped++
          }
          if (invalid) {
            const allInvalid = [put, get, again].every((r) => !r.ok && r.error instanceof InvalidKeyError)
            if (!allInvalid) row.wrong++
            return allInvalid
          }
          if (put.ok !== get.ok) {
            // S3 refused the key on write but answered on read (or the reverse): only typed errors are fine.
            return [put, get].every((r) => r.ok || r.typed)
          }
          for (const r of [get, again]) {
            if (!r.ok) continue
            if (r.value.status === 'hit') row.hits++
            const same = Buffer.from(r.value.body).equals(Buffer.from(bytes))
            const expected = bytes.byteLength > MAX ? 'bypass' : r === get ? r.value.status : 'hit'
            if (!same || r.value.status !== expected) {
              row.wrong++
              return false
            }
          }
          return [put, get, again].every((r) => r.ok || r.typed)
        }),
        { seed: SEED, numRuns: 150 },
      )
    } finally {
      watch.stop()
      row.note = `errors by type ${JSON.stringify(Object.fromEntries(seenErrors))}; process faults ${watch.count} (+${watch.s3rverFaults} inside s3rver: file name too long)`
      rows.push(row)
      for (const seen of watch.seen.slice(0, 3)) console.log('[bad-input] process fault:', seen)
      console.log(
        `[bad-input] keys × bodies: ${row.requests} calls, ${row.hits} hits, ${row.errors} typed errors, ` +
          `${row.untyped} untyped, ${row.wrong} wrong; ${row.note}`,
      )
    }
    expect(row.untyped).toBe(0)
    expect(row.wrong).toBe(0)
    expect(watch.count).toBe(0)
  })

  it('option values: CacheConfigError at creation, or a working cache', { timeout: 120_000 }, async () => {
    const watch = watchProcess()
    const row: Row = {
      scenario: 'option values',
      requests: 0,
      hits: 0,
      stale: 0,
      errors: 0,
      wrong: 0,
      untyped: 0,
    }
    const junk = fc.oneof(
      fc.integer({ min: -5, max: 100_000 }),
      fc.double(),
      fc.constantFrom(NaN, Infinity, -1, 0, null, '5x', '', '1h', '10ms', '-5s', true, {}, [], 'abc'),
      fc.string({ maxLength: 8 }),
    )
    // Mostly valid values, some junk: both paths (refused at creation, working cache) get exercised.
    const field = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: junk as fc.Arbitrary<unknown>, weight: 1 })
    const duration = fc.oneof(
      fc.integer({ min: 1, max: 60_000 }),
      fc.constantFrom('500ms', '30s', '5m', '1h', '1d'),
    )
    const optionArb = fc.record(
      {
        ttl: field(duration),
        staleTtl: field(fc.oneof(fc.constant(0), duration)),
        jitter: field(fc.double({ min: 0, max: 0.99, noNaN: true })),
        negativeTtl: field(fc.oneof(fc.constant(0), duration)),
        maxObjectBytes: field(fc.integer({ min: 0, max: 5_000_000 })),
        keyPrefix: field(fc.constantFrom('app:', 'ok-prefix:', 'p/', 'ü:')).chain((p) =>
          fc.oneof(fc.constant(p), fc.constantFrom('a{b}:', 'x*', 'has space:', '')),
        ),
        timeouts: fc.record(
          {
            valkey: field(duration),
            s3: field(duration),
            revalidate: field(fc.oneof(fc.constant(0), duration)),
          },
          { requiredKeys: [] },
        ),
        lock: fc.oneof(
          fc.constant(false),
          fc.record({ ttl: field(duration), wait: field(duration) }, { requiredKeys: [] }),
        ),
        compression: fc.oneof(
          fc.constant(false),
          junk,
          fc.record(
            {
              codec: field(fc.constantFrom('auto', 'deflate', 'gzip', 'zstd')),
              minBytes: field(fc.integer({ min: 0, max: 5000 })),
            },
            {
              requiredKeys: [],
            },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    let created = 0
    const key = 'options/probe.json'
    await s3.client.send(
      new (await import('@aws-sdk/client-s3')).PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: '{"ok":1}',
      }),
    )
    try {
      await fc.assert(
        fc.asyncProperty(optionArb, async (options) => {
          row.requests++
          let made: S3Cache
          try {
            made = createS3Cache({
              s3: s3.client,
              bucket: s3.bucket,
              valkey: valkey.url,
              ...(options as Partial<S3CacheOptions>),
            })
          } catch (error) {
            if (error instanceof CacheConfigError) {
              row.errors++
              return true
            }
            row.untyped++
            console.log('untyped at creation:', options, error)
            return false
          }
          created++
          prefixes.add(typeof options.keyPrefix === 'string' ? options.keyPrefix : 's3c:')
          try {
            const result = await attempt(() => made.get(key))
            if (!result.ok) {
              result.typed ? row.errors++ : row.untyped++
              return result.typed
            }
            const ok = new TextDecoder().decode(result.value.body) === '{"ok":1}'
            if (!ok) row.wrong++
            return ok
          } finally {
            await made.close()
          }
        }),
        { seed: SEED, numRuns: 120 },
      )
    } finally {
      watch.stop()
      row.note = `${created} caches created; process faults ${watch.count}`
      rows.push(row)
      console.log(
        `[bad-input] options: ${row.requests} option sets, ${created} accepted, ${row.errors} typed errors, ` +
          `${row.untyped} untyped, ${row.wrong} wrong; process faults ${watch.count}`,
      )
    }
    expect(row.untyped).toBe(0)
    expect(watch.count).toBe(0)
  })

  it('no Valkey key outside the keyPrefix of a cache that wrote it (SCAN after the runs)', async () => {
    const admin = await valkey.adminClient()
    const keys: string[] = []
    let cursor = '0'
    for (let i = 0; i < 10_000; i++) {
      const [next, batch] = (await admin.scan(cursor, 'COUNT', 1000)) as [string, string[]]
      keys.push(...batch)
      cursor = next
      if (cursor === '0') break
    }
    const outside = keys.filter((k) => ![...prefixes].some((p) => k.startsWith(p)))
    rows.push({
      scenario: 'keys outside keyPrefix',
      requests: keys.length,
      hits: 0,
      stale: 0,
      errors: 0,
      untyped: 0,
      wrong: outside.length,
      note: `scanned ${keys.length} keys, prefixes ${[...prefixes].join(' ')}`,
    })
    console.log(
      `[bad-input] SCAN: ${keys.length} Valkey keys, ${outside.length} outside the prefixes ${[...prefixes].join(' ')}`,
    )
    expect(keys.length).toBeGreaterThan(0)
    expect(outside).toEqual([])
  })
})
