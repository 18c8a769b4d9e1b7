import { startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesSentMeter } from '../src/scenarios/valkey-stats'

let valkey: ValkeyServer
let admin: Redis

beforeAll(async () => {
  valkey = await startValkey()
  admin = await valkey.adminClient()
})

afterAll(async () => {
  await admin.quit()
  await valkey.stop()
})

describe('bytesSentMeter (real valkey-server)', () => {
  it('counts what reaches the connections open now: one that closes between readings takes nothing away', async () => {
    const leaving = new Redis(valkey.options())
    await leaving.set('big', 'x'.repeat(100_000))
    await leaving.get('big')
    const meter = await bytesSentMeter(admin)
    const before = await meter.read()
    leaving.disconnect()
    const staying = new Redis(valkey.options())
    await staying.get('big')
    // The server lists a closed connection until it has read the close.
    while (
      String(await admin.client('LIST'))
        .split('\n')
        .filter(Boolean).length > 2
    )
      await new Promise((r) => setTimeout(r, 5))
    const sent = (await meter.read()) - before
    staying.disconnect()
    expect(meter.method).toBe('client tot-net-out')
    // The new connection's ready check (INFO) and one GET of 100,000 bytes; the closed connection's
    // ~106 KB are not subtracted (summed over the list, this came out near 0).
    expect(sent).toBeGreaterThanOrEqual(100_000)
    expect(sent).toBeLessThan(112_000)
  })
})
