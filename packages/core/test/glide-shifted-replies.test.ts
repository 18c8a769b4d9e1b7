// GLIDE 2.x subscribes again by itself after a reconnect, all of a client's channels in one command,
// and hands each confirmation past the first to the next command waiting: every reply after it then
// goes to the command sent after its own, until the connection idles. A cache on such a client (two
// caches sharing it, or the app's own subscriptions beside the cache's) must never take another
// command's reply for its own. The server here restarts with its data, so every answer is checkable.
import { GlideClient, Logger } from '@valkey/valkey-glide'
import { afterAll, describe, expect, it } from 'vitest'
import { entryKeys, tagLogKey } from '../src/keys'
import { GlideStore } from '../src/store/glide'
import { uniqueKey, whileRestarting } from './support/harness'
import { useServers } from './support/servers'

Logger.setLoggerConfig('off')

describe('a GLIDE store whose client holds two subscriptions, while the client reconnects (standalone Valkey)', () => {
  const servers = useServers()
  const clients: GlideClient[] = []
  afterAll(() => {
    for (const client of clients) client.close()
  })

  it("scripts answer their own keys' generations, or fail: never another command's reply", async () => {
    const client = await GlideClient.createClient({
      addresses: [{ host: '127.0.0.1', port: servers.valkey.port }],
      requestTimeout: 1000,
    })
    clients.push(client)
    await client.subscribe(new Set(['shifted-a']), 1000)
    await client.subscribe(new Set(['shifted-b']), 1000)
    const store = new GlideStore(client, { timeoutMs: 1000 })
    await store.connect()
    const tagLog = tagLogKey('shifted:')
    const objects = Array.from({ length: 20 }, () =>
      entryKeys('shifted:', 'o', servers.bucket, uniqueKey('shifted')),
    )
    const generations = new Map<string, string>()
    for (const keys of objects)
      generations.set(keys.generation, (await store.begin(keys, '', 0, tagLog)).generation)
    await (await servers.valkey.adminClient()).call('SAVE')

    const wrong: string[] = []
    let answered = 0
    let failed = 0
    // Half the callers run BEGIN (checked), half plain GETs of the generation keys: the mix of commands
    // in flight that shifts replies between them. A GET of a non-entry has nothing to prove its reply
    // by; the cache's GETs read entries, which name their keys (see the L1 coherence test beside this).
    await whileRestarting(servers.valkey, 16, async (i, running) => {
      for (let n = i; running(); n++) {
        const keys = objects[n % objects.length] as (typeof objects)[number]
        try {
          if (i % 2 === 1) {
            await store.get(keys.generation)
            continue
          }
          const { generation } = await store.begin(keys, '', 0, tagLog)
          answered++
          if (generation !== generations.get(keys.generation))
            wrong.push(`${keys.generation} answered ${generation}`)
        } catch {
          failed++
        }
      }
    })
    expect(answered).toBeGreaterThan(500)
    expect(failed).toBeGreaterThan(0)
    expect(wrong).toEqual([])
  })
})
