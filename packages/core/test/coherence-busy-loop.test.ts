// A coherent L1 in a process whose event loop is busy while another process's change arrives: the
// writer runs in a child process (its own event loop), so its invalidate resolves and its message
// reaches the reader's socket while the reader cannot read it.

import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { blockEventLoop } from '@valkey-s3-cache/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { putRaw, sleep, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

const servers = useServers()

const SOURCE = fileURLToPath(new URL('../src/index.ts', import.meta.url))

/** A writer process: a cache on the same Valkey and key prefix that invalidates a key `inMs` from when it is asked. */
async function startWriter(): Promise<{ invalidate(key: string, inMs: number): void; child: ChildProcess }> {
  const script = `
    const { createS3Cache } = await import(${JSON.stringify(SOURCE)})
    const { S3Client } = await import('@aws-sdk/client-s3')
    const cache = createS3Cache({
      s3: new S3Client({ region: 'us-east-1' }),
      bucket: ${JSON.stringify(servers.s3.bucket)},
      valkey: ${JSON.stringify(servers.valkey.url)},
    })
    await cache.connect()
    process.on('message', ({ key, inMs }) => setTimeout(() => cache.invalidate(key), inMs))
    process.send('ready')
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`writer exited with ${code}`)))
  })
  return { invalidate: (key, inMs) => child.send({ key, inMs }), child }
}

const writers: ChildProcess[] = []
afterAll(() => {
  for (const child of writers) child.kill()
})

describe('coherent L1 when the event loop is busy as a change arrives (standalone Valkey, l1.ttl 1 h)', () => {
  it('a read begun from a timer after two busy stretches of 120 ms and 100 ms answers the change, not L1', async () => {
    const writer = await startWriter()
    writers.push(writer.child)
    const reader = servers.cacheOnOwnClient({ l1: { ttl: '1h' }, ttl: '1h', timeouts: { valkey: 500 } })
    await reader.cache.connect()
    for (let trial = 0; trial < 5; trial++) {
      const key = uniqueKey('busy-loop')
      await putRaw(servers.s3, key, 'v1', 'text/plain')
      await reader.cache.getText(key)
      expect((await reader.cache.get(key)).status).toBe('hit')
      await putRaw(servers.s3, key, 'v2', 'text/plain')
      await sleep(50)
      // From the check phase (as after any I/O callback): the writer invalidates 20 ms from now, while
      // this loop is busy for 120 ms. A timer due 110 ms from now fires in the next timers phase, after
      // any timer that fell due during the busy stretch and before the poll phase reads the change
      // message waiting in the subscriber's socket. Then a second busy stretch: the read begins about
      // 200 ms after the change resolved.
      const read = new Promise<string>((resolve, reject) => {
        setImmediate(() => {
          setTimeout(() => {
            blockEventLoop(100)
            reader.cache.getText(key).then(resolve, reject)
          }, 110)
          writer.invalidate(key, 20)
          blockEventLoop(120)
        })
      })
      expect(await read).toBe('v2')
    }
  })
})
