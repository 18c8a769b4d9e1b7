import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createInvalidator, type InvalidatorHandler } from '../src/s3-events'
import { lambdaContext, s3ObjectEvent } from './support/events'
import { type Servers, startServers, uniqueKey } from './support/servers'

let servers: Servers
let invalidator: InvalidatorHandler
const logs: Record<string, unknown>[] = []

beforeAll(async () => {
  servers = await startServers()
  invalidator = createInvalidator({
    bucket: servers.s3.bucket,
    valkey: servers.valkey.url,
    s3: servers.s3.newClient(),
    serviceName: 'invalidator',
    log: (line) => logs.push(JSON.parse(line)),
  })
})

afterAll(async () => {
  await invalidator?.close()
  await servers?.stop()
})

describe('createInvalidator against a real S3 server and valkey-server', () => {
  it('removes the entry of a created object and logs one line per invocation', async () => {
    const key = uniqueKey()
    await servers.put(key, JSON.stringify({ v: 1 }))
    expect(await invalidator.cache.getJson(key)).toEqual({ v: 1 })
    await servers.put(key, JSON.stringify({ v: 2 }))
    logs.length = 0

    const result = await invalidator(s3ObjectEvent(servers.s3.bucket, key), lambdaContext())
    expect(result).toEqual({ applied: 1, ignored: 0, failed: 0 })
    expect(await invalidator.cache.getJson(key)).toEqual({ v: 2 })
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'S3 events',
        service: 'invalidator',
        function_request_id: expect.stringMatching(/^req-/),
        applied: 1,
        ignored: 0,
        failed: 0,
        durationMs: expect.any(Number),
      }),
    ])
  })

  it('throws when a record fails, so Lambda retries the event, and logs the error', async () => {
    const event = s3ObjectEvent(servers.s3.bucket, uniqueKey())
    event.detail.object.key = '' // not a key the cache accepts: the record fails
    logs.length = 0
    const failures = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      await expect(invalidator(event, lambdaContext())).rejects.toMatchObject({ code: 'S3_EVENT_FAILED' })
      expect(failures).toHaveBeenCalledOnce()
    } finally {
      failures.mockRestore()
    }
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'S3 events',
        error: expect.objectContaining({
          name: 'S3EventFailedError',
          message: expect.stringMatching(/1 of 1/),
          failed: 1,
        }),
      }),
    ])
  })
})
