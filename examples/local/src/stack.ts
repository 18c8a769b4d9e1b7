// The architecture on loopback: an S3 server with seeded objects, Valkey (a real valkey-server when
// there is one, else the cache's embedded memory store), the examples/api handler, the API Gateway
// stand-in in front of it, and the S3-event invalidator that the bucket's notifications go to.
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { type ApiHandler, createHandler } from '@valkey-s3-cache/example-api'
import { type S3EventCounts, s3EventInvalidator } from '@valkey-s3-cache/middy'
import {
  countS3Calls,
  findValkeyServer,
  objectCreatedEvent,
  type S3CallCounter,
  type S3Server,
  startS3,
  startValkey,
  type ValkeyServer,
} from '@valkey-s3-cache/testkit'
import {
  type AccessLogEntry,
  ApiKeys,
  type Gateway,
  type GatewayOptions,
  startGateway,
  UsagePlan,
} from './gateway'

export const SEED: Record<string, unknown> = {
  'docs/welcome.json': { title: 'Welcome', body: 'Served through Valkey.', tags: ['demo'] },
  'docs/pricing.json': { title: 'Pricing', plans: [{ name: 'standard', perMonth: 0 }] },
  'config/feature-flags.json': { newCheckout: true, darkMode: false },
}

/** The stage's two API keys: `standard` for normal use, `trial` with a tiny plan to show the 429s. */
export const API_KEYS = {
  standard: 'demo-standard-key-0123456789',
  trial: 'demo-trial-key-0123456789',
}

export const TRIAL_PLAN = { rateLimit: 1, burstLimit: 2, quotaPerDay: 3 }

export interface StackOptions {
  /** Gateway port; `0` picks a free one. */
  port?: number
  /** Fail when `port` is taken, instead of taking a free one. */
  strictPort?: boolean
  /** Reports each start-up step while it runs (the demo's progress lines). */
  step?: <T>(label: string, run: () => Promise<T>, done?: (value: T) => string) => Promise<T>
  /** Where the handler's JSON log lines go. Default: dropped. */
  log?: (line: string) => void
  onResponse?: (entry: AccessLogEntry) => void
}

export interface Stack {
  gateway: Gateway
  handler: ApiHandler
  /** `valkey-server <path> on port N`, or why the memory store is used. */
  store: string
  usesValkey: boolean
  /** GetObject calls the handler made. */
  s3Calls: S3CallCounter
  /**
   * Changes an object as any other writer of the bucket would: PutObject to S3, then the bucket's
   * `ObjectCreated:Put` notification to the S3-event invalidator. Returns what the invalidator did.
   */
  putObject(key: string, doc: unknown): Promise<S3EventCounts>
  stop(): Promise<void>
}

/** PutObject of `doc` as JSON; S3's ETag and the size written. */
async function putJson(server: S3Server, key: string, doc: unknown): Promise<{ eTag: string; size: number }> {
  const body = JSON.stringify(doc)
  const put = new PutObjectCommand({
    Bucket: server.bucket,
    Key: key,
    Body: body,
    ContentType: 'application/json',
  })
  const { ETag } = await server.client.send(put)
  return { eTag: ETag ?? '', size: Buffer.byteLength(body) }
}

const quietly = async <T>(_label: string, run: () => Promise<T>) => run()

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const step = options.step ?? quietly
  let s3: S3Server | undefined
  let valkey: ValkeyServer | undefined
  let handler: ApiHandler | undefined
  let gateway: Gateway | undefined
  const stop = async () => {
    // valkey-server first: however long the rest takes to close (a busy machine), no server outlives the demo.
    await valkey?.stop()
    await gateway?.close()
    await handler?.close()
    await s3?.stop()
  }
  try {
    s3 = await step(
      'S3 server (s3rver)',
      async () => {
        const server = await startS3({ bucket: 'demo-bucket' })
        for (const [key, doc] of Object.entries(SEED)) await putJson(server, key, doc)
        return server
      },
      (server) => `${server.endpoint}, bucket ${server.bucket}, ${Object.keys(SEED).length} objects`,
    )

    // testkit's findValkeyServer: $VALKEY_SERVER if set (VALKEY_SERVER=/nonexistent forces the memory store), else PATH.
    const binary = findValkeyServer()
    let failure = ''
    valkey = await step(
      'Valkey',
      async () =>
        binary
          ? await startValkey().catch((error: Error) => {
              failure = error.message.split('\n')[0] ?? ''
              return undefined
            })
          : undefined,
      (server) =>
        server
          ? `valkey-server on port ${server.port} (${binary})`
          : binary
            ? `${binary} did not start (${failure}): using the embedded memory store`
            : 'no valkey-server found ($VALKEY_SERVER, PATH): using the embedded memory store, in this process',
    )
    const store = valkey ? `valkey-server on port ${valkey.port}` : 'embedded memory store'

    const s3Client = s3.newClient()
    const s3Calls = countS3Calls(s3Client)
    handler = createHandler({
      bucket: s3.bucket,
      valkey: valkey?.url,
      s3: s3Client,
      httpTtl: '30s',
      serviceName: 'objects-local',
      log: options.log ?? (() => {}),
    })
    // The architecture's second function: the S3-event invalidator (examples/api's invalidator.ts runs
    // the same s3EventInvalidator). It removes the object's entry, and with it every HTTP response the
    // API built from the object. Here it shares the API handler's cache: both functions live in this one
    // process, and the embedded memory store is reachable only through that cache. On AWS they are two
    // functions that share the Valkey cluster and keyPrefix.
    const invalidator = s3EventInvalidator({ cache: handler.cache })
    const server = s3
    const putObject = async (key: string, doc: unknown) =>
      invalidator(objectCreatedEvent(server.bucket, { key, ...(await putJson(server, key, doc)) }))
    const standard = new UsagePlan({
      name: 'standard',
      throttle: { rateLimit: 50, burstLimit: 100 },
      quota: { limit: 10_000, period: 'DAY' },
    })
    const trial = new UsagePlan({
      name: 'trial',
      throttle: { rateLimit: TRIAL_PLAN.rateLimit, burstLimit: TRIAL_PLAN.burstLimit },
      quota: { limit: TRIAL_PLAN.quotaPerDay, period: 'DAY' },
    })
    const gatewayOptions: GatewayOptions = {
      handler,
      functionName: 'objects',
      stage: 'local',
      routes: [{ resource: '/objects', method: 'POST', apiKeyRequired: true }],
      apiKeys: new ApiKeys([
        { id: 'key-standard', name: 'standard', value: API_KEYS.standard, plan: standard },
        { id: 'key-trial', name: 'trial', value: API_KEYS.trial, plan: trial },
      ]),
      cors: {
        allowOrigin: '*',
        allowMethods: ['OPTIONS', 'POST'],
        allowHeaders: ['Content-Type', 'X-Api-Key', 'If-None-Match'],
        maxAgeSeconds: 600,
      },
      port: options.port ?? 0,
      onResponse: options.onResponse,
    }
    gateway = await step(
      'API Gateway (REST stage emulation)',
      () =>
        startGateway(gatewayOptions).catch((error: NodeJS.ErrnoException) => {
          // A busy port the user did not ask for: take any free one.
          if (error.code !== 'EADDRINUSE' || options.strictPort) throw error
          return startGateway({ ...gatewayOptions, port: 0 })
        }),
      (started) => started.url,
    )
    return { gateway, handler, store, usesValkey: valkey !== undefined, s3Calls, putObject, stop }
  } catch (error) {
    await stop().catch(() => {})
    throw error
  }
}
