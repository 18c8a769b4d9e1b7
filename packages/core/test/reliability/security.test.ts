import { readFileSync } from 'node:fs'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import {
  makeTempDir,
  makeTlsMaterial,
  type S3Server,
  startS3,
  startValkey,
  type ValkeyServer,
} from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type CacheEvent, createS3Cache, type S3Cache, type S3CacheOptions } from '../../src'
import { attempt, printTable, type Row, sleep, watchProcess } from './support'

const docs = readFileSync(new URL('../../../../docs/security.md', import.meta.url), 'utf8')
/** The documented least-privilege access string, exactly as written in docs/security.md. */
const ACCESS = (/```acl\n(.+)\n```/.exec(docs)?.[1] ?? '').trim()
const PASSWORD = 'Sup3r-s3cret-pässword-never-logged'

describe('security (real valkey-server with ACL and TLS)', () => {
  let s3: S3Server
  let valkey: ValkeyServer
  let tlsValkey: ValkeyServer
  const caches: S3Cache[] = []
  const rows: Row[] = []
  const captured: string[] = []
  const spies: { mockRestore(): void }[] = []

  const user = async (name: string, access: string) => {
    const admin = await valkey.adminClient()
    await admin.call('ACL', 'SETUSER', name, 'reset', `>${PASSWORD}`, ...access.split(' '))
    return { url: `valkey://127.0.0.1:${valkey.port}`, username: name, password: PASSWORD }
  }
  const make = (valkeyOption: S3CacheOptions['valkey'], extra: Partial<S3CacheOptions> = {}) => {
    const events: CacheEvent[] = []
    const cache = createS3Cache({
      s3: s3.newClient(),
      bucket: s3.bucket,
      valkey: valkeyOption,
      timeouts: { valkey: 300 },
      ...extra,
      onEvent: (e) => {
        events.push(e)
        captured.push(
          JSON.stringify(e),
          e.type === 'error' ? `${e.error.message} ${e.error.stack} ${String((e.error as Error).cause)}` : '',
        )
      },
    })
    caches.push(cache)
    return { cache, events, errors: () => events.filter((e) => e.type === 'error') }
  }
  const seed = (key: string, body: string) =>
    s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, ContentType: 'application/json' }),
    )

  beforeAll(async () => {
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[method].bind(console)
      spies.push(
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
          captured.push(
            args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(' '),
          )
          original(...args)
        }),
      )
    }
    s3 = await startS3()
    valkey = await startValkey({ acl: true })
    tlsValkey = await startValkey({ tls: true, acl: true })
  })
  afterAll(async () => {
    for (const cache of caches) await cache.close()
    for (const spy of spies) spy.mockRestore()
    await tlsValkey?.stop()
    await valkey?.stop()
    await s3?.stop()
    printTable('Reliability: security (packages/core/test/reliability/security.test.ts)', rows)
  })

  it('the documented least-privilege ACL runs get/put/invalidate/wrap/warm/inspect with no error event', async () => {
    expect(ACCESS).toMatch(/^on ~s3c:\* /)
    const { cache, errors } = make(await user('leastpriv', ACCESS))
    const keys = ['sec/lp/a.json', 'sec/lp/b.json', 'sec/lp/c.json']
    for (const key of keys) await seed(key, `{"k":"${key}"}`)
    let requests = 0
    let hits = 0
    for (const key of keys) {
      await cache.get(key)
      hits += (await cache.get(key)).status === 'hit' ? 1 : 0
      requests += 2
    }
    await cache.put('sec/lp/a.json', '{"k":"put"}', { contentType: 'application/json' })
    expect(await cache.getJson('sec/lp/a.json')).toEqual({ k: 'put' })
    await cache.invalidate('sec/lp/b.json')
    expect(await cache.wrap('sec:lp:wrap', () => ({ n: 1 }))).toEqual({ n: 1 })
    expect(await cache.wrap('sec:lp:wrap', () => ({ n: 2 }))).toEqual({ n: 1 })
    const warmed = await cache.warm({ prefix: 'sec/lp/', concurrency: 2 })
    const inspected = await cache.inspect('sec/lp/a.json')
    requests += 7
    const admin = await valkey.adminClient()
    const denials = ((await admin.call('ACL', 'LOG')) as unknown[][]).filter((entry) =>
      JSON.stringify(entry).includes('leastpriv'),
    )
    rows.push({
      scenario: 'least-privilege ACL',
      requests,
      hits,
      stale: 0,
      errors: errors().length,
      wrong: 0,
      untyped: 0,
      note: `ACL LOG denials ${denials.length}`,
    })
    console.log(
      `[security] least-privilege ACL: ${requests} calls (get/put/invalidate/wrap/warm/inspect), ${hits} hits, ` +
        `${errors().length} error events, ${denials.length} ACL LOG denials; warm ${JSON.stringify(warmed)}; inspect ${JSON.stringify(inspected).slice(0, 80)}`,
    )
    expect(errors()).toEqual([])
    expect(denials).toEqual([])
    expect(hits).toBe(3)
  })

  it('a user without +evalsha: reads still served from S3, error event is a ValkeyAuthError naming evalsha', async () => {
    const { cache, errors } = make(await user('noevalsha', ACCESS.replace(' +evalsha', '')))
    const key = 'sec/noeval/a.json'
    await seed(key, '{"n":1}')
    const answers = []
    for (let i = 0; i < 3; i++) answers.push(await attempt(() => cache.getJson(key)))
    const put = await attempt(() => cache.put(key, '{"n":2}'))
    const auth = errors().filter((e) => e.type === 'error' && e.error.name === 'ValkeyAuthError')
    const message = auth[0]?.type === 'error' ? auth[0].error.message : ''
    rows.push({
      scenario: 'user without +evalsha',
      requests: 4,
      hits: 0,
      stale: 0,
      errors: errors().length,
      wrong: answers.filter((a) => !a.ok || (a.value as { n: number }).n !== 1).length,
      untyped: put.ok || put.typed ? 0 : 1,
      note: `auth error: ${message.slice(0, 90)}; put ${put.ok ? 'ok' : (put.error as Error).name}`,
    })
    console.log(
      `[security] without +evalsha: 3 reads all from S3 = ${answers.every((a) => a.ok)}, ${errors().length} error events, first: ${message}; put → ${put.ok ? 'ok' : (put.error as Error).name}`,
    )
    expect(answers.every((a) => a.ok && (a.value as { n: number }).n === 1)).toBe(true)
    expect(auth.length).toBeGreaterThan(0)
    expect(message).toMatch(/evalsha/i)
    expect(message).toContain('noevalsha')
  })

  it('a wrong password: reads served from S3, ValkeyAuthError event, no unhandled error', async () => {
    const watch = watchProcess()
    await user('wrongpass', ACCESS)
    const { cache, errors } = make({
      url: `valkey://127.0.0.1:${valkey.port}`,
      username: 'wrongpass',
      password: `${PASSWORD}-x`,
    })
    const key = 'sec/wrongpass/a.json'
    await seed(key, '{"w":1}')
    const answers = []
    for (let i = 0; i < 5; i++) answers.push(await attempt(() => cache.getJson(key)))
    await sleep(200)
    watch.stop()
    const names = [...new Set(errors().map((e) => (e.type === 'error' ? e.error.name : '')))]
    rows.push({
      scenario: 'wrong password',
      requests: 5,
      hits: 0,
      stale: 0,
      errors: errors().length,
      wrong: answers.filter((a) => !a.ok).length,
      untyped: watch.count,
      note: `error names ${names.join(',')}`,
    })
    console.log(
      `[security] wrong password: 5 reads, ${answers.filter((a) => a.ok).length} served from S3, error events ${errors().length} (${names.join(',')}), unhandled ${watch.count}`,
    )
    expect(answers.every((a) => a.ok)).toBe(true)
    expect(names).toContain('ValkeyAuthError')
    expect(watch.count).toBe(0)
  })

  it('TLS with a wrong CA fails closed: no plaintext fallback, reads served from S3, error event says certificate', async () => {
    const otherCa = makeTlsMaterial(makeTempDir('rel-other-ca'), 'an unrelated CA').ca
    const acl = tlsValkey.acl
    const { cache, errors } = make({
      url: tlsValkey.url,
      tls: { ca: otherCa },
      username: acl?.username,
      password: acl?.password,
    })
    const key = 'sec/tls/a.json'
    await seed(key, '{"t":1}')
    const statuses: string[] = []
    for (let i = 0; i < 5; i++) {
      const r = await attempt(() => cache.get(key))
      statuses.push(r.ok ? r.value.status : 'error')
    }
    const admin = await tlsValkey.adminClient()
    const clients = (await admin.call('CLIENT', 'LIST')) as string
    const appConnections = clients.split('\n').filter((line) => line.includes(`user=${acl?.username}`)).length
    const message = errors()
      .map((e) => (e.type === 'error' ? e.error.message : ''))
      .join(' | ')
    rows.push({
      scenario: 'TLS wrong CA',
      requests: 5,
      hits: statuses.filter((s) => s === 'hit').length,
      stale: 0,
      errors: errors().length,
      wrong: statuses.filter((s) => s === 'error').length,
      untyped: 0,
      note: `app connections on server ${appConnections}`,
    })
    console.log(
      `[security] TLS wrong CA: statuses ${statuses.join(',')}, ${errors().length} error events (${message.slice(0, 120)}), app-user connections on the server: ${appConnections}`,
    )
    expect(statuses.every((s) => s === 'bypass')).toBe(true)
    expect(message).toMatch(/certificate/i)
    expect(appConnections).toBe(0)
  })

  it('two caches with different prefixes cannot read each other’s entries (and an ACL on one prefix refuses the other)', async () => {
    const a = make(await user('tenant-a', ACCESS.replace('~s3c:*', '~ta:*')), { keyPrefix: 'ta:' })
    const b = make(await user('tenant-b', ACCESS.replace('~s3c:*', '~tb:*')), { keyPrefix: 'tb:' })
    const sneaky = make(await user('tenant-b2', ACCESS.replace('~s3c:*', '~tb:*')), { keyPrefix: 'ta:' })
    const key = 'sec/tenant/shared.json'
    await seed(key, '{"tenant":"a"}')
    await a.cache.get(key)
    const aHit = (await a.cache.get(key)).status
    const bStatus = (await b.cache.get(key)).status
    const sneakyStatus = (await sneaky.cache.get(key)).status
    const sneakyAuth = sneaky.errors().find((e) => e.type === 'error' && e.error.name === 'ValkeyAuthError')
    rows.push({
      scenario: 'prefix isolation',
      requests: 4,
      hits: aHit === 'hit' ? 1 : 0,
      stale: 0,
      errors: sneaky.errors().length,
      wrong: bStatus === 'hit' || sneakyStatus === 'hit' ? 1 : 0,
      untyped: 0,
      note: `b: ${bStatus}, b-as-ta: ${sneakyStatus}`,
    })
    console.log(
      `[security] prefixes: cache a ${aHit}; cache b (tb:) ${bStatus}; user ~tb:* with prefix ta: ${sneakyStatus}, ${sneaky.errors().length} error events (${sneakyAuth?.type === 'error' ? sneakyAuth.error.message : ''})`,
    )
    expect(aHit).toBe('hit')
    expect(bStatus).toBe('miss')
    expect(sneakyStatus).not.toBe('hit')
    expect(sneakyAuth).toBeDefined()
  })

  it('the password never appears in captured console output, events or error messages', () => {
    const leaks = captured.filter(
      (text) => text.includes(PASSWORD) || text.includes(encodeURIComponent(PASSWORD)),
    )
    const adminPassword = valkey.admin?.password as string
    const adminLeaks = captured.filter((text) => text.includes(adminPassword))
    rows.push({
      scenario: 'password in output',
      requests: captured.length,
      hits: 0,
      stale: 0,
      errors: 0,
      wrong: leaks.length + adminLeaks.length,
      untyped: 0,
      note: `${captured.length} captured lines/events searched`,
    })
    console.log(
      `[security] password search: ${captured.length} captured console lines and events, ${leaks.length + adminLeaks.length} containing a password`,
    )
    expect(captured.length).toBeGreaterThan(10)
    expect(leaks).toEqual([])
    expect(adminLeaks).toEqual([])
  })
})
