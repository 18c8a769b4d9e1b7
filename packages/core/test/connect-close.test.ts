import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort, startValkey } from '@valkey-s3-cache/testkit'
import type { Redis } from 'iovalkey'
import { afterAll, describe, expect, it } from 'vitest'
import { ValkeyAuthError, ValkeyConnectionError } from '../src'
import { makeCache, putRaw, type TestCache, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

const SOURCE = fileURLToPath(new URL('../src/index.ts', import.meta.url))

/**
 * Commands the server ran since the last CONFIG RESETSTAT, by name (subcommands as `script|load`;
 * the commands scripts call count too).
 */
async function commandsSinceReset(admin: Redis): Promise<Record<string, number>> {
  const stats = (await admin.info('commandstats')) as string
  const counts: Record<string, number> = {}
  for (const [, name, calls] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name !== 'config|resetstat') counts[name as string] = Number(calls)
  }
  return counts
}

describe('cache.connect() and cache.close() on real Valkey', () => {
  const servers = useServers()
  const made: TestCache[] = []
  afterAll(async () => {
    for (const { cache } of made) await cache.close()
  })
  const cacheOn = (valkey: string) => {
    const made1 = makeCache(servers.s3, { valkey })
    made.push(made1)
    return made1
  }
  /** The commands Valkey ran for a first miss and a hit, with the scripts flushed beforehand. */
  const firstRequestCommands = async (made1: TestCache, connectFirst: boolean) => {
    const { admin } = servers
    await admin.call('SCRIPT', 'FLUSH')
    if (connectFirst) await made1.cache.connect()
    await admin.call('CONFIG', 'RESETSTAT')
    const key = uniqueKey('first-request')
    await putRaw(servers.s3, key, '{"first":true}')
    expect((await made1.cache.get(key)).status).toBe('miss')
    expect((await made1.cache.get(key)).status).toBe('hit')
    return commandsSinceReset(admin)
  }

  it('after connect() at init, the first miss and hit send only GET and EVALSHA (no INFO, no SCRIPT LOAD, no EVAL)', async () => {
    const connected = await firstRequestCommands(cacheOn(servers.valkey.url), true)
    expect(connected.evalsha).toBe(3) // BEGIN, the tag log mark and COMMIT of the miss
    for (const setup of ['info', 'script|load', 'eval']) expect(connected[setup]).toBeUndefined()

    // Without it, the first request pays the cluster probe, the ready check and the script upload.
    const cold = await firstRequestCommands(cacheOn(servers.valkey.url), false)
    expect(cold.info).toBeGreaterThanOrEqual(2)
    expect(cold.eval).toBeGreaterThanOrEqual(1)
  })

  it('rejects with ValkeyConnectionError when nothing listens, tries again on the next call, and reads fail open meanwhile', async () => {
    const made1 = cacheOn(`valkey://127.0.0.1:${await freePort()}`)
    const first = made1.cache.connect()
    await expect(first).rejects.toBeInstanceOf(ValkeyConnectionError)
    const again = made1.cache.connect()
    expect(again).not.toBe(first)
    await expect(again).rejects.toBeInstanceOf(ValkeyConnectionError)
    const key = uniqueKey('unreachable')
    await putRaw(servers.s3, key, '{"from":"s3"}')
    expect(await made1.cache.getJson(key)).toEqual({ from: 's3' })
  })

  it('rejects with ValkeyAuthError naming the user when the password is wrong', async () => {
    const acl = await startValkey({ acl: true })
    try {
      const user = acl.acl?.username as string
      const made1 = cacheOn(`valkey://${user}:not-the-password@127.0.0.1:${acl.port}`)
      await expect(made1.cache.connect()).rejects.toMatchObject({
        constructor: ValkeyAuthError,
        username: user,
      })
    } finally {
      await made1Close()
      await acl.stop()
    }
    async function made1Close() {
      await made.at(-1)?.cache.close()
    }
  })

  it('close() is bounded: it ends while Valkey answers nothing (SIGSTOP), and reads go to S3 after it', async () => {
    const made1 = cacheOn(servers.valkey.url)
    const key = uniqueKey('close-paused')
    await putRaw(servers.s3, key, '{"paused":true}')
    await made1.cache.connect()
    await made1.cache.getJson(key)
    servers.valkey.process.pause()
    try {
      await made1.cache.close()
    } finally {
      servers.valkey.process.resume()
    }
    expect(await made1.cache.getJson(key)).toEqual({ paused: true })
    expect(made1.getObjectCalls()).toBe(2)
  })

  it("a process that never calls close() still exits while Valkey is unreachable (reconnect timers are unref'd)", async () => {
    // The client keeps reconnecting in the background; between attempts only its timer is left, and a
    // ref'd timer would keep a CLI, a test runner or a script alive for ever.
    const script = `
      const { createS3Cache } = await import(${JSON.stringify(SOURCE)})
      const { S3Client } = await import('@aws-sdk/client-s3')
      const cache = createS3Cache({
        s3: new S3Client({ region: 'us-east-1' }),
        bucket: 'b',
        valkey: { url: 'valkey://127.0.0.1:${await freePort()}', cluster: false },
      })
      await cache.connect().catch((error) => console.log(error.name))
    `
    const run = await new Promise<{ code: number | null; signal: string | null; stdout: string }>(
      (resolve) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { timeout: 20_000 },
          (_error, stdout) => resolve({ code: child.exitCode, signal: child.signalCode, stdout }),
        )
      },
    )
    expect(run).toEqual({ code: 0, signal: null, stdout: 'ValkeyConnectionError\n' })
  })

  it('close() during connect(): connect() rejects with ValkeyConnectionError', async () => {
    const made1 = cacheOn(servers.valkey.url)
    const connecting = made1.cache.connect()
    const closing = made1.cache.close()
    await expect(connecting).rejects.toBeInstanceOf(ValkeyConnectionError)
    await closing
  })
})
