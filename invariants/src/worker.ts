// One cache in a process of its own, as a Lambda execution environment holds one: it runs the calls
// the runner sends over IPC (several at once, as a container does), stamps each with the shared
// monotonic clock, reports every loader run, and then does what a careless caller does to its answer.
import { S3Client } from '@aws-sdk/client-s3'
import { Decoder, GlideClient, GlideClusterClient, Logger } from '@valkey/valkey-glide'
import {
  createS3Cache,
  invalidateFromS3Event,
  ObjectNotFoundError,
  type S3Cache,
  S3CacheError,
  type WrapLoaderContext,
} from '@valkey-s3-cache/core'
import { blockEventLoop, objectCreatedEvent, objectRemovedEvent } from '@valkey-s3-cache/testkit'
import type {
  DependencyRead,
  LoaderRun,
  ObjectAnswer,
  Reply,
  Request,
  WorkerMessage,
  WorkerSetup,
} from './protocol'
import { now } from './protocol'
import { wrapKey, wrapShape } from './shapes'
import { canonical, digest, ObjectSchema, type ReadAs, scribble } from './values'

Logger.setLoggerConfig('off')

const send = (message: WorkerMessage) => process.send?.(message)

interface Current {
  setup: WorkerSetup
  cache: S3Cache
  s3: S3Client
  glide?: GlideClient | GlideClusterClient
  /** GLIDE: another cache with L1 on the same client (another key prefix), as an app with two has. */
  neighbour?: S3Cache
  runs: number
  /** Sabotage only: answers remembered forever. */
  remembered: Map<string, { status: string; object: ObjectAnswer }>
}
let current: Current | undefined
/** `l1-publish` error events so far: a change whose call saw one may reach other L1s only within `l1.ttl`. */
let publishFailures = 0

async function closeCurrent(): Promise<void> {
  if (!current) return
  const { cache, s3, glide, neighbour } = current
  current = undefined
  await cache.close().catch(() => {})
  await neighbour?.close().catch(() => {})
  s3.destroy()
  glide?.close()
}

async function setUp(setup: WorkerSetup): Promise<void> {
  await closeCurrent()
  const s3 = new S3Client({
    endpoint: setup.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  })
  let glide: GlideClient | GlideClusterClient | undefined
  let valkey: Parameters<typeof createS3Cache>[0]['valkey']
  if (setup.valkey.client === 'iovalkey') valkey = setup.valkey.url
  else {
    const options = {
      addresses: setup.valkey.addresses,
      requestTimeout: setup.cache.timeouts.valkey,
      ...(setup.valkey.client === 'glide-bytes' ? { defaultDecoder: Decoder.Bytes } : {}),
    }
    glide = setup.valkey.cluster
      ? await GlideClusterClient.createClient(options)
      : await GlideClient.createClient(options)
    valkey = glide
  }
  const cache = createS3Cache({
    s3,
    bucket: setup.bucket,
    valkey,
    keyPrefix: setup.keyPrefix,
    ...setup.cache,
    // Faults make timeouts and failed calls, which are reported and fine; a corrupt entry never is.
    onEvent: (event) => {
      if (event.type === 'error' && event.operation === 'l1-publish') publishFailures++
      if (event.type === 'error' && event.operation === 'corrupt-entry')
        send({ type: 'event', event: `${event.operation} ${event.key}: ${event.error.message}` })
    },
  })
  // It reads the client's pub/sub messages too: the worker's cache must still hear all of its own.
  const neighbour =
    glide && setup.cache.l1
      ? createS3Cache({
          s3,
          bucket: setup.bucket,
          valkey: glide,
          keyPrefix: `${setup.keyPrefix}n:`,
          l1: { ttl: '1h' },
          timeouts: setup.cache.timeouts,
        })
      : undefined
  neighbour?.connect().catch(() => {})
  current = { setup, cache, s3, glide, neighbour, runs: 0, remembered: new Map() }
}

/** The object a read answered, as a version and a digest (taken before the caller scribbles on it). */
function objectAnswer(as: ReadAs, got: unknown): ObjectAnswer {
  if (as === 'bytes') {
    const body = got as Uint8Array
    return { version: (JSON.parse(Buffer.from(body).toString()) as { v: number }).v, digest: digest(body) }
  }
  if (as === 'text')
    return { version: (JSON.parse(got as string) as { v: number }).v, digest: digest(got as string) }
  return { version: (got as { v: number }).v, digest: digest(canonical(got)) }
}

/** One read of an object the way `as` says, through `cache` (the worker's, or a loader's view). */
async function readObject(
  cache: S3Cache,
  key: string,
  as: ReadAs,
): Promise<{ status: string; object: ObjectAnswer }> {
  try {
    let got: unknown
    let status = 'hit'
    if (as === 'bytes') {
      const object = await cache.get(key)
      got = object.body
      status = object.status
    } else if (as === 'text') got = await cache.getText(key)
    else if (as === 'json') got = await cache.getJson(key)
    else got = await cache.getJson(key, ObjectSchema)
    const object = objectAnswer(as, got)
    scribble(got)
    return { status, object }
  } catch (error) {
    if (error instanceof ObjectNotFoundError)
      return { status: 'not-found', object: { version: 0, digest: '' } }
    throw error
  }
}

/** The loader of a `wrap` value: what it reads and tags is its shape's (shapes.ts), the same in every process. */
/** What a loader returns: enough to tell which run made it, when it began and what it read. */
type LoaderValue = {
  run: string
  name: string
  began: number
  reads: DependencyRead[]
  nested: string | undefined
  tags: string[]
}

function loaderOf(name: string, state: Current): (context: WrapLoaderContext) => Promise<LoaderValue> {
  const shape = wrapShape(name)
  return async (context: WrapLoaderContext) => {
    const began = now()
    const reads: DependencyRead[] = []
    for (const object of shape.reads) {
      const start = now()
      const key = `r${state.setup.run}/${object}.json`
      const { status, object: answer } = await readObject(context.cache, key, 'json')
      reads.push({ key, version: answer.version, status, start, end: now() })
    }
    let nested: string | undefined
    if (shape.nested) {
      const value = await context.cache.wrap(
        wrapKey(state.setup.run, shape.nested),
        loaderOf(shape.nested, state),
      )
      nested = (value as { run: string }).run
    }
    if (shape.lateTags) context.setTags(shape.lateTags)
    const tags = [...new Set([...(shape.tags ?? []), ...(shape.lateTags ?? [])])]
    const id = `${state.setup.worker}:${state.setup.run}:${++state.runs}`
    const value: LoaderValue = { run: id, name, began, reads, nested, tags }
    const run: LoaderRun = {
      id,
      name,
      worker: state.setup.worker,
      began,
      reads,
      nested,
      tags,
      digest: digest(canonical(value)),
    }
    send({ type: 'run', run })
    return value
  }
}

/**
 * Blocks the event loop for `ms` from the check phase, then for `ms` again in a timer that fell due
 * meanwhile, and resolves there: what follows runs in the timers phase, before the poll phase has read
 * what reached the sockets during the stalls.
 */
function stall(ms: number): Promise<void> {
  return new Promise((resolve) =>
    setImmediate(() => {
      setTimeout(
        () => {
          blockEventLoop(ms)
          resolve()
        },
        Math.max(1, ms - 10),
      )
      blockEventLoop(ms)
    }),
  )
}

async function handle(request: Exclude<Request, { op: 'setup' }>, reply: Reply): Promise<void> {
  const state = current
  if (!state) throw new Error('no setup')
  const { cache } = state
  switch (request.op) {
    case 'read': {
      if (request.stall) {
        await stall(request.stall)
        reply.start = now()
      }
      const remembered = `${request.key}\0${request.as}`
      const known = state.setup.sabotage === 'stale-reads' ? state.remembered.get(remembered) : undefined
      const { status, object } = known ?? (await readObject(cache, request.key, request.as))
      // `getText` and `getJson` do not tell how they were answered: judged as if they might be stale.
      reply.status = request.as === 'bytes' ? status : status === 'not-found' ? status : 'unknown'
      reply.object = object
      if (state.setup.sabotage === 'stale-reads' && status !== 'not-found')
        state.remembered.set(remembered, { status, object })
      return
    }
    case 'wrap': {
      let status = 'hit'
      const value = await cache.wrap(wrapKey(state.setup.run, request.name), loaderOf(request.name, state), {
        tags: wrapShape(request.name).tags,
        onStatus: (answered) => {
          status = answered
        },
      })
      reply.status = status
      reply.value = { run: (value as { run: string }).run, digest: digest(canonical(value)) }
      scribble(value)
      return
    }
    case 'put':
      await cache.put(request.key, request.body, { contentType: 'application/json', tags: request.tags })
      reply.status = 'ok'
      return
    case 'invalidate':
      await cache.invalidate(request.key)
      reply.status = 'ok'
      return
    case 'invalidateTags':
      await cache.invalidateTags(request.tags)
      reply.status = 'ok'
      return
    case 'event': {
      const { bucket } = state.setup
      const event =
        request.type === 'created'
          ? objectCreatedEvent(bucket, { key: request.key }, request.sequencer)
          : objectRemovedEvent(bucket, { key: request.key }, request.sequencer)
      const outcome = await invalidateFromS3Event(cache, event)
      reply.status = 'ok'
      reply.event = { applied: outcome.applied, ignored: outcome.ignored, failed: outcome.failed }
      return
    }
  }
}

process.on('message', async (message: { id: number; request: Request }) => {
  const { id, request } = message
  if (request.op === 'setup') {
    const reply: Reply = { id, start: now(), end: 0 }
    try {
      await setUp(request.setup)
      reply.status = 'ok'
    } catch (error) {
      reply.error = { name: (error as Error).name, message: (error as Error).message, typed: false }
    }
    reply.end = now()
    send({ type: 'reply', reply })
    return
  }
  const reply: Reply = { id, start: now(), end: 0 }
  const failuresBefore = publishFailures
  try {
    await handle(request, reply)
  } catch (error) {
    const { name, message: text } = error as Error
    reply.status = undefined
    reply.error = { name, message: text, typed: error instanceof S3CacheError }
  }
  reply.end = now()
  // Another call's failure in the meantime counts too: the model then allows this change more time.
  reply.published = publishFailures === failuresBefore
  send({ type: 'reply', reply })
})

// A caller never sees these, but an unhandled rejection in the library would crash a real function.
process.on('unhandledRejection', (reason) => {
  send({ type: 'event', event: `unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}` })
})

// The runner went away (it crashed, or was stopped): so does this worker.
process.on('disconnect', () => process.exit(0))

send({ type: 'ready' })
