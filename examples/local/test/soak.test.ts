import { expect, it } from 'vitest'
import { runSoak, soakTable } from '../src/soak/run'

it('short soak: 10 s × 100 concurrent requests through the gateway, one Valkey restart, 0 wrong answers', {
  timeout: 120_000,
}, async () => {
  const result = await runSoak({ seconds: 10, concurrency: 100 })
  console.log(
    `[soak] 10 s × 100: ${result.requests} requests, ${result.hits} hits, ${result.stale} stale, ${result.aged} aged (httpCache), ` +
      `${result.errors} errors, ${result.torn} torn s3rver reads, ${result.wrong} wrong; ${result.writes} writes, ` +
      `${result.valkeyRestarts} Valkey restart\n${soakTable(result)}`,
  )
  for (const sample of result.wrongSamples) console.log(`wrong: ${sample}`)
  expect(result.wrong).toBe(0)
  expect(result.errors).toBe(0)
  expect(result.valkeyRestarts).toBe(1)
  expect(result.requests).toBeGreaterThan(500)
  expect(result.hits).toBeGreaterThan(0)
})
