import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { countS3Calls, type S3CallCounter, type S3Server } from '@valkey-s3-cache/testkit'
import { type CacheEvent, createS3Cache, type S3Cache, type S3CacheOptions } from '../../src'

export { uniqueKey } from '@valkey-s3-cache/testkit'

export async function putRaw(
  s3: S3Server,
  key: string,
  body: string | Uint8Array,
  contentType = 'application/json',
) {
  await s3.client.send(
    new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, ContentType: contentType }),
  )
}

export interface TestCache {
  cache: S3Cache
  client: S3Client
  calls: S3CallCounter
  events: CacheEvent[]
  getObjectCalls(): number
}

/** A cache on its own S3 client (so its S3 calls can be counted) and an event log. */
export function makeCache(
  s3: S3Server,
  options: Partial<S3CacheOptions> & Pick<S3CacheOptions, 'valkey'>,
): TestCache {
  const client = s3.newClient()
  const calls = countS3Calls(client)
  const events: CacheEvent[] = []
  const cache = createS3Cache({
    s3: client,
    bucket: s3.bucket,
    ...options,
    onEvent: (event) => {
      events.push(event)
      options.onEvent?.(event)
    },
  })
  return { cache, client, calls, events, getObjectCalls: () => calls.count('GetObjectCommand') }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs `callers` concurrent loops, each while `running()` is true, as `server` restarts three times
 * 200 ms apart (with its data when it was saved first), then 1.5 s more for the client to settle;
 * resolves once every loop has ended. `caller` gets its index and `running`.
 */
export async function whileRestarting(
  server: { process: { restart(): Promise<void> } },
  callers: number,
  caller: (index: number, running: () => boolean) => Promise<void>,
): Promise<void> {
  let running = true
  const loops = Array.from({ length: callers }, (_, i) => caller(i, () => running))
  for (let round = 0; round < 3; round++) {
    await sleep(200)
    await server.process.restart()
  }
  await sleep(1500)
  running = false
  await Promise.all(loops)
}

/** Reads every 100 ms, at most `tries` times, until one answers from Valkey again (reconnected, circuit closed). */
export async function untilHit(made: TestCache, key: string, tries = 150): Promise<string> {
  let status = ''
  for (let i = 0; i < tries && status !== 'hit'; i++) {
    await sleep(100)
    status = (await made.cache.get(key)).status
  }
  return status
}

/** A gate that holds GetObject responses after they arrive from the real S3 server (the body is read only once released). */
export function holdResponses(client: S3Client) {
  let release: () => void = () => {}
  let gate: Promise<void> | undefined
  let arrived: () => void = () => {}
  const arrival = new Promise<void>((resolve) => {
    arrived = resolve
  })
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'GetObjectCommand') return next(args)
      try {
        return await next(args)
      } finally {
        // Held whether S3 answered 200, 304 or an error.
        arrived()
        if (gate) await gate
      }
    },
    { step: 'initialize', name: 'testHoldResponses' },
  )
  return {
    hold() {
      gate = new Promise<void>((resolve) => {
        release = resolve
      })
    },
    /** Resolves once a held response has arrived from S3. */
    arrived: () => arrival,
    release: () => {
      gate = undefined
      release()
    },
  }
}
