import {
  type S3Server,
  startS3,
  startValkeyCluster,
  type ValkeyClusterServer,
} from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Cache, type ReadStatus } from '../src'
import { forEachConcurrent } from '../src/concurrency'
import { documentedAccessString } from './support/access-strings'
import { runCli, s3Env } from './support/cli'
import { putRaw } from './support/harness'

// The operator's access string documented in docs/security.md, applied exactly as written.
const tooling = documentedAccessString('acl-tooling')

describe('every CLI command as the documented operator user, on a 3+3 cluster over TLS', {
  timeout: 120_000,
}, () => {
  let s3: S3Server
  let cluster: ValkeyClusterServer
  let env: Record<string, string>
  const keys = Array.from({ length: 30 }, (_, i) => `ops/${i}.json`)

  beforeAll(async () => {
    ;[s3, cluster] = await Promise.all([
      startS3(),
      startValkeyCluster({ acl: { commands: tooling }, tls: true }),
    ])
    env = { ...s3Env(s3.endpoint), VALKEY_URL: cluster.url, VALKEY_TLS_CA: cluster.tls?.caFile ?? '' }
    await forEachConcurrent(keys, 8, (key) => putRaw(s3, key, JSON.stringify({ key })))
    for (const port of cluster.ports) await (await cluster.adminClient(port)).call('ACL', 'LOG', 'RESET')
  })
  afterAll(async () => {
    await cluster?.stop()
    await s3?.stop()
  })

  it('warms, shows stats from every primary, inspects and invalidates, with no ACL denial', async () => {
    const warm = await runCli(['warm', s3.bucket, '--prefix', 'ops/', '--json'], env)
    expect(warm.stderr).toBe('')
    expect(JSON.parse(warm.stdout)).toMatchObject({ loaded: 30, failed: 0, valkeyErrors: 0 })

    const stats = JSON.parse((await runCli(['stats', '--json'], env)).stdout)
    const primaries = (await cluster.topology())
      .filter((node) => node.role === 'primary')
      .map((node) => node.port)
    expect(stats.nodes.map((node: { node: string }) => Number(node.node.split(':')[1])).sort()).toEqual(
      primaries.sort(),
    )
    expect(stats.total).toMatchObject({ entries: 30, memory: expect.any(Number) })
    // Hashed keys spread over the shards.
    expect(stats.nodes.filter((node: { entries: number }) => node.entries > 0).length).toBeGreaterThan(1)

    const text = await runCli(['stats'], env)
    expect(text.stdout).toMatch(/^total\s+\d+\s+30\s+\d+\s+\d/m)

    const inspect = await runCli(['inspect', s3.bucket, 'ops/7.json'], env)
    expect(inspect).toMatchObject({ code: 0, stdout: expect.stringMatching(/^state\s+fresh$/m) })
    const invalidate = await runCli(['invalidate', s3.bucket, 'ops/7.json'], env)
    expect(invalidate).toMatchObject({ code: 0, stderr: '' })
    expect((await runCli(['inspect', s3.bucket, 'ops/7.json'], env)).stdout).toMatch(/^present\s+no$/m)

    for (const port of cluster.ports) {
      const log = (await (await cluster.adminClient(port)).call('ACL', 'LOG')) as unknown[]
      expect(log).toEqual([])
    }
  })

  it('invalidate --tag removes tagged objects and wrap values on every shard, with no ACL denial', async () => {
    // Tagged through the library as the same user: hashed, the entries spread over the shards, the tag's set in a slot of its own.
    const cache = createS3Cache({
      s3: s3.client,
      bucket: s3.bucket,
      valkey: { url: cluster.url, tls: { ca: cluster.tls?.ca, servername: 'localhost' } },
    })
    const red = Array.from({ length: 8 }, (_, i) => `tagged/red-${i}.json`)
    const wrapStatus: Record<string, ReadStatus> = {}
    const wrap = (key: string, tags: string[]) =>
      cache.wrap(key, () => ({ key }), { tags, onStatus: (status) => (wrapStatus[key] = status) })
    const status = async (key: string) => (await cache.get(key)).status
    try {
      await forEachConcurrent(red, 4, async (key) => {
        await cache.put(key, JSON.stringify({ key }), { tags: ['ops-red'] })
      })
      await cache.put('tagged/blue.json', '{"blue":true}', { tags: ['ops-blue'] })
      await wrap('ops report', ['ops-red'])
      await wrap('ops summary', ['ops-blue'])

      const json = await runCli(['invalidate', '--tag', 'ops-red', '--json'], env)
      expect(json).toMatchObject({ code: 0, stderr: '' })
      expect(JSON.parse(json.stdout)).toEqual({ tags: ['ops-red'], removed: 9 })
      const inspect = await runCli(['inspect', s3.bucket, red[5] as string], env)
      expect(inspect).toMatchObject({ code: 0, stdout: expect.stringMatching(/^present\s+no$/m) })
      for (const key of red) expect(await status(key)).toBe('miss')
      await wrap('ops report', ['ops-red'])
      expect(wrapStatus['ops report']).toBe('miss')
      expect(await status('tagged/blue.json')).toBe('hit')
      await wrap('ops summary', ['ops-blue'])
      expect(wrapStatus['ops summary']).toBe('hit')

      const text = await runCli(['invalidate', '--tag', 'ops-blue'], env)
      expect(text).toMatchObject({ code: 0, stderr: '', stdout: 'tag      ops-blue\nremoved  2\n' })
      expect(await status('tagged/blue.json')).toBe('miss')
    } finally {
      await cache.close()
    }

    for (const port of cluster.ports) {
      const log = (await (await cluster.adminClient(port)).call('ACL', 'LOG')) as unknown[]
      expect(log).toEqual([])
    }
  })

  it('reports a wrong password in one line naming the user, never the password', async () => {
    const url = cluster.url.replace(/:[^:@/]+@/, ':wrong-password-123@')
    const run = await runCli(['stats'], { ...env, VALKEY_URL: url })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^valkey-s3-cache: .*app/)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(`${run.stdout}${run.stderr}`).not.toContain('wrong-password-123')
    expect(`${run.stdout}${run.stderr}`).not.toContain(cluster.acl?.password ?? 'n/a')
  })
})
