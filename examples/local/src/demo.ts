// The quick start, run locally: a real S3-compatible server with seeded objects, Valkey when
// a valkey-server is on PATH (else the embedded memory store), and the cache in between.
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { type CacheEvent, createS3Cache } from '@valkey-s3-cache/core'
import { findValkeyServer, startS3, startValkey } from '@valkey-s3-cache/testkit'
import { z } from 'zod'
import corePackage from '../../../packages/core/package.json' with { type: 'json' }
import middyPackage from '../../../packages/middy/package.json' with { type: 'json' }

const step = (text: string) => process.stdout.write(`• ${text}\n`)

async function main(): Promise<void> {
  console.log(
    `valkey-s3-cache demo — ${corePackage.name}@${corePackage.version}, ${middyPackage.name}@${middyPackage.version}`,
  )
  step('starting a local S3 server…')
  const s3 = await startS3({ bucket: 'demo-bucket' })
  const seed = {
    'docs/welcome.json': { title: 'Welcome', tags: ['demo'] },
    'docs/pricing.json': { title: 'Pricing', tags: [] },
  }
  for (const [key, doc] of Object.entries(seed)) {
    await s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: JSON.stringify(doc),
        ContentType: 'application/json',
      }),
    )
  }
  const valkeyBinary = findValkeyServer()
  step(
    valkeyBinary
      ? `starting valkey-server (${valkeyBinary})…`
      : 'no valkey-server on PATH: using the embedded memory store',
  )
  const valkey = valkeyBinary ? await startValkey() : undefined

  const events: CacheEvent[] = []
  const cache = createS3Cache({
    s3: s3.client,
    bucket: s3.bucket,
    valkey: valkey?.url,
    ttl: '5m',
    onEvent: (event) => events.push(event),
  })
  const Doc = z.object({ title: z.string(), tags: z.array(z.string()) })

  const rows: string[][] = []
  const time = async (label: string, run: () => Promise<string>) => {
    const started = performance.now()
    const outcome = await run().catch((error: Error) => `${error.name}`)
    rows.push([label, outcome, `${(performance.now() - started).toFixed(2)} ms`])
  }
  await time('get docs/welcome.json', async () => (await cache.get('docs/welcome.json')).status)
  await time('get docs/welcome.json', async () => (await cache.get('docs/welcome.json')).status)
  await time(
    'getJson docs/welcome.json (zod)',
    async () => `hit → ${(await cache.getJson('docs/welcome.json', Doc)).title}`,
  )
  await time('get docs/missing.json', async () => (await cache.get('docs/missing.json')).status)
  await time(
    'put docs/pricing.json',
    async () => `etag ${(await cache.put('docs/pricing.json', '{"title":"New","tags":[]}')).etag}`,
  )
  await time('get docs/pricing.json', async () => `${(await cache.get('docs/pricing.json')).status}`)

  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] as string).length), 8))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  │  ')
  console.log(
    `\n${line(['request', 'status', 'latency'])}\n${widths.map((w) => '─'.repeat(w)).join('──┼──')}`,
  )
  for (const row of rows) console.log(line(row))
  const counts: Record<string, number> = {}
  for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1
  console.log(
    `\nevents: ${JSON.stringify(counts)}  (store: ${valkey ? `valkey-server on port ${valkey.port}` : 'memory'})`,
  )

  await cache.close()
  await valkey?.stop()
  await s3.stop()
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
