import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import {
  startValkey,
  startValkeyCluster,
  type ValkeyClusterServer,
  type ValkeyServer,
} from '@valkey-s3-cache/testkit'
import { Cluster, Redis } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createValkeyClient } from '../../src/connect/create-client'
import { toValkeyError } from '../../src/connect/errors'
import type { ValkeyClient } from '../../src/connect/options'
import { ValkeyAuthError } from '../../src/errors'
import { eventually } from './helpers'

const doc = readFileSync(new URL('../../../../docs/security.md', import.meta.url), 'utf8')
const blocks = [...doc.matchAll(/^```acl\n([\s\S]*?)^```/gm)].map((match) => (match[1] ?? '').trim())
const accessString = blocks[0] ?? ''
const rules = accessString.split(/\s+/)
const PASSWORD = 'least-privilege-password-0123'

/** The cache's script shapes: every command the scripts call, on keys sharing one hash tag. */
const SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', 60000)
redis.call('SETRANGE', KEYS[1], 0, 'X')
redis.call('PEXPIRE', KEYS[1], 30000)
local generation = redis.call('INCR', KEYS[2])
local exists = redis.call('EXISTS', KEYS[1])
redis.call('GETRANGE', KEYS[1], 20, 23)
local value = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[3])
return { value, generation, exists }`

/** `ACL SETUSER <user> reset <the documented rules> >password`, so the user has exactly the documented rights. */
async function applyDocumentedAcl(admin: Redis, user: string, without: string[] = []): Promise<void> {
  await admin.call(
    'ACL',
    'SETUSER',
    user,
    'reset',
    ...rules.filter((rule) => !without.includes(rule)),
    `>${PASSWORD}`,
  )
}

const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex')

/** The change channel, its counter (one hash tag: one slot), and the script that announces a change. */
const CHANNEL = 's3c:{l1}'
const COUNTER = 's3c:{l1}:seq'
const announce = (command: 'PUBLISH' | 'SPUBLISH') =>
  `redis.call('INCR', KEYS[1])\nreturn redis.call('${command}', ARGV[1], ARGV[2])`

/** What the cache sends: EVALSHA (EVAL when the script is unknown), then one GET per hit. */
async function exerciseCache(client: ValkeyClient): Promise<void> {
  const keys = ['s3c:{abc}entry', 's3c:{abc}generation', 's3c:{abc}lease']
  await expect(client.evalsha(SCRIPT_SHA, 3, ...keys, 'body')).rejects.toThrow(/NOSCRIPT/)
  const first = (await client.eval(SCRIPT, 3, ...keys, 'body')) as [string, number, number]
  expect(first[0]).toBe('Xody')
  expect(first[2]).toBe(1)
  const second = (await client.evalsha(SCRIPT_SHA, 3, ...keys, 'next')) as [string, number, number]
  expect(second[1]).toBe(first[1] + 1)
  expect(await client.get(keys[0] as string)).toBe('Xext')
  expect(await client.ping()).toBe('PONG')
}

async function aclDenials(admin: Redis, user: string): Promise<string[]> {
  const log = (await admin.call('ACL', 'LOG')) as unknown[][]
  return log
    .map((entry) =>
      Object.fromEntries(
        Array.from({ length: entry.length / 2 }, (_, i) => [entry[2 * i], entry[2 * i + 1]]),
      ),
    )
    .filter((entry) => entry.username === user)
    .map((entry) => `${entry.reason} ${entry.object}`)
}

describe('the access string in docs/security.md', () => {
  it("is one acl block: on, the key prefix, only the prefix's channels, -@all, and never +@all", () => {
    expect(blocks).toHaveLength(1)
    expect(rules.slice(0, 5)).toEqual(['on', '~s3c:*', 'resetchannels', '&s3c:*', '-@all'])
    expect(rules).not.toContain('+@all')
    for (const command of [
      '+get',
      '+eval',
      '+evalsha',
      '+script|load',
      '+set',
      '+del',
      '+incr',
      '+pexpire',
      '+setrange',
      '+getrange',
      '+exists',
      '+publish',
      '+subscribe',
      '+spublish',
      '+ssubscribe',
    ]) {
      expect(rules).toContain(command)
    }
  })
})

describe('the documented ACL on a standalone server', () => {
  let server: ValkeyServer
  let admin: Redis
  const url = (user: string) => `valkey://${user}:${PASSWORD}@127.0.0.1:${server.port}`
  beforeAll(async () => {
    server = await startValkey({ acl: true })
    admin = await server.adminClient()
    await applyDocumentedAcl(admin, 'app')
    await admin.call('ACL', 'SETUSER', 'app-no-evalsha', 'on')
    await applyDocumentedAcl(admin, 'app-no-evalsha', ['+evalsha'])
    await admin.call('ACL', 'LOG', 'RESET')
  })
  afterAll(() => server.stop())

  it('is enough for connecting, cluster detection, GET, EVAL and EVALSHA, with no denial logged', async () => {
    const client = await createValkeyClient(url('app'))
    try {
      await exerciseCache(client)
      await expect(client.set('other:key', '1')).rejects.toThrow(/NOPERM/)
      expect(await client.quit()).toBe('OK')
    } finally {
      client.disconnect()
    }
    expect(await aclDenials(admin, 'app')).toEqual(['key other:key'])
  })

  it('lets a cache announce changes on its channel from a script and subscribe to it, and no other channel', async () => {
    await admin.call('ACL', 'LOG', 'RESET')
    const publisher = await createValkeyClient(url('app'))
    const subscriber = new Redis(url('app'))
    try {
      const received = once(subscriber, 'message')
      await subscriber.subscribe(CHANNEL)
      expect(await subscriber.ping()).toEqual(['pong', ''])
      expect(await publisher.eval(announce('PUBLISH'), 1, COUNTER, CHANNEL, 'id-1')).toBe(1)
      expect(await received).toEqual([CHANNEL, 'id-1'])
      expect(await publisher.get(COUNTER)).toBe('1')
      await expect(publisher.eval(announce('PUBLISH'), 1, COUNTER, 'other:{l1}', 'id-1')).rejects.toThrow(
        /NOPERM|permission/i,
      )
      await expect(subscriber.subscribe('other:{l1}')).rejects.toThrow(/NOPERM/)
    } finally {
      publisher.disconnect()
      subscriber.disconnect()
    }
    expect(new Set(await aclDenials(admin, 'app'))).toEqual(new Set(['channel other:{l1}']))
  })

  it('makes a missing +evalsha a ValkeyAuthError that names it', async () => {
    const client = await createValkeyClient(url('app-no-evalsha'))
    try {
      await client.eval(SCRIPT, 3, 's3c:{x}a', 's3c:{x}b', 's3c:{x}c', 'v')
      const error = await client
        .evalsha(SCRIPT_SHA, 3, 's3c:{x}a', 's3c:{x}b', 's3c:{x}c', 'v')
        .catch((e: unknown) => e)
      const mapped = toValkeyError(error)
      expect(mapped).toBeInstanceOf(ValkeyAuthError)
      expect(mapped).toMatchObject({ username: 'app-no-evalsha', permission: '+evalsha' })
      expect(mapped.message).toContain('+evalsha')
    } finally {
      client.disconnect()
    }
  })
})

describe('the documented ACL on a 3+3 cluster', () => {
  let cluster: ValkeyClusterServer
  const admins: Redis[] = []
  beforeAll(async () => {
    cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1, acl: true })
    for (const port of cluster.ports) {
      const admin = await cluster.adminClient(port)
      admins.push(admin)
      await applyDocumentedAcl(admin, 'app')
      await admin.call('ACL', 'LOG', 'RESET')
    }
    // CLUSTER SLOTS lists replicas once they have synced.
    await eventually(async () => {
      for (const admin of admins) {
        const slots = (await admin.call('CLUSTER', 'SLOTS')) as unknown[][]
        expect(slots.every((range) => range.length > 3)).toBe(true)
      }
    }, 30_000)
  })
  afterAll(() => cluster.stop())

  const url = () => `valkey://app:${PASSWORD}@127.0.0.1:${cluster.ports[0]}`

  it('is enough for discovery, scripts on one hash tag, and replica reads, with no denial logged', async () => {
    const client = await createValkeyClient(url())
    const reader = await createValkeyClient({ url: url(), readFrom: 'replica' })
    try {
      expect(client).toBeInstanceOf(Cluster)
      await exerciseCache(client)
      for (let i = 0; i < 20; i++) await client.set(`s3c:{k${i}}`, String(i))
      for (let i = 0; i < 20; i++) {
        expect(
          await eventually(async () => (await reader.get(`s3c:{k${i}}`)) ?? Promise.reject(new Error('lag'))),
        ).toBe(String(i))
      }
      expect((reader as Cluster).nodes('slave').length).toBeGreaterThan(0)
    } finally {
      client.disconnect()
      reader.disconnect()
    }
    for (const admin of admins) expect(await aclDenials(admin, 'app')).toEqual([])
  })

  it('lets a cache announce changes with SPUBLISH from a script and SSUBSCRIBE to its channel, and no other', async () => {
    for (const admin of admins) await admin.call('ACL', 'LOG', 'RESET')
    const publisher = await createValkeyClient(url())
    const subscriber = new Redis({ port: await ownerOf(CHANNEL), username: 'app', password: PASSWORD })
    try {
      const received = once(subscriber, 'smessage')
      await subscriber.ssubscribe(CHANNEL)
      expect(await subscriber.ping()).toEqual(['pong', ''])
      expect(await publisher.eval(announce('SPUBLISH'), 1, COUNTER, CHANNEL, 'id-1')).toBe(1)
      expect(await received).toEqual([CHANNEL, 'id-1'])
      await expect(publisher.eval(announce('SPUBLISH'), 1, COUNTER, 'other:{l1}', 'id-1')).rejects.toThrow(
        /NOPERM|permission/i,
      )
      await expect(subscriber.ssubscribe('other:{l1}')).rejects.toThrow(/NOPERM/)
    } finally {
      publisher.disconnect()
      subscriber.disconnect()
    }
    const denials = new Set<string>()
    for (const admin of admins) for (const denial of await aclDenials(admin, 'app')) denials.add(denial)
    expect(denials).toEqual(new Set(['channel other:{l1}']))
  })

  /** The port of the primary that owns `channel`'s slot (a shard channel lives in one slot). */
  async function ownerOf(channel: string): Promise<number> {
    const admin = admins[0] as Redis
    const slot = (await admin.call('CLUSTER', 'KEYSLOT', channel)) as number
    const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]
    const owner = ranges.find(([from, to]) => from <= slot && slot <= to)
    if (!owner) throw new Error(`no node owns slot ${slot}`)
    return owner[2][1]
  }
})
