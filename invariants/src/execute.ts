// Runs one program against the system: fresh caches in every worker, each step at its time, writes to
// one object one after another (so S3's order is the order the model knows), faults one at a time, and
// the history of it all.
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { nextSequencer } from '@valkey-s3-cache/testkit'
import type { CallRecord, History, S3Version } from './history'
import type { Worker } from './pool'
import { type Delivery, describeStep, type Program, type Step } from './program'
import { now } from './protocol'
import { OBJECTS, type ObjectName, objectKey, PADDING, wrapShape } from './shapes'
import type { System } from './system'
import { objectBody, type ReadAs } from './values'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface RunOptions {
  sabotage?: 'stale-reads' | undefined
}

export async function execute(
  system: System,
  workers: Worker[],
  program: Program,
  run: number,
  options: RunOptions = {},
): Promise<History> {
  const { settings } = program
  const bucket = system.s3.bucket
  const history: History = {
    run,
    settings,
    versions: new Map(OBJECTS.map((name) => [objectKey(run, name), [] as S3Version[]])),
    calls: [],
    runs: new Map(),
    events: [],
    evicted: 0,
  }
  await system.flush()
  system.proxy.set('pass')
  system.proxy.delay(settings.s3DelayMs)
  const setups = await Promise.all(
    workers.map((worker, index) => {
      const own = settings.workers[index] ?? { l1: false as const, shareParsed: false }
      return worker.call({
        op: 'setup',
        setup: {
          worker: index,
          run,
          keyPrefix: `inv${run}:`, // the evictor's too
          bucket,
          s3Endpoint: `http://127.0.0.1:${system.proxy.port}`,
          valkey: system.valkeyAccess(),
          cache: { ...settings.cache, ...own },
          sabotage: options.sabotage,
        },
      })
    }),
  )
  const failedSetup = setups.find((reply) => reply.error)
  if (failedSetup?.error) throw new Error(`worker setup failed: ${failedSetup.error.message}`)
  for (const worker of workers) worker.drain()

  // Every object exists when the run begins (version 1, written outside the library).
  await Promise.all(
    OBJECTS.map(async (name) => {
      const key = objectKey(run, name)
      const body = objectBody(key, 1, PADDING[name], [])
      const start = now()
      await system.s3.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
      )
      history.versions
        .get(key)
        ?.push({ version: 1, body, by: 'outside', start, end: now(), outcome: 'outside' })
    }),
  )

  const stopEvictor = system.evictor(settings.evictions, `inv${run}:`)
  const writes = new Map<string, Promise<void>>()
  let serverFaults: Promise<void> = Promise.resolve()
  const pending: Promise<void>[] = []
  const record = (entry: CallRecord) => history.calls.push(entry)
  const worker = (index: number) => workers[index % workers.length] as Worker

  /** One write of `key` at a time, in the order the steps asked for them. */
  const serialized = (key: string, write: () => Promise<void>) => {
    const next = (writes.get(key) ?? Promise.resolve()).then(write)
    writes.set(key, next)
    return next
  }
  const newVersion = (key: string) => {
    const versions = history.versions.get(key) as S3Version[]
    return (versions.at(-1)?.version ?? 0) + 1
  }
  const deliver = async (
    key: string,
    version: number,
    type: 'created' | 'removed',
    delivery: Delivery,
    by: number,
  ) => {
    if (delivery === 'none') return
    const sequencer = nextSequencer()
    const send = async () => {
      const start = now()
      const reply = await worker(by).call({ op: 'event', key, type, sequencer })
      const applied = reply.event !== undefined && reply.event.applied > 0
      record({
        kind: 'event',
        worker: by % workers.length,
        key,
        version,
        delivery,
        start,
        end: reply.end || now(),
        applied,
        published: reply.published !== false,
      })
    }
    if (delivery === 'late') {
      await sleep(200 + Math.random() * 1000)
      await send()
      return
    }
    await send()
    if (delivery === 'twice') await send()
  }

  const read = async (by: number, object: ObjectName, as: ReadAs, stall?: number): Promise<void> => {
    const key = objectKey(run, object)
    const reply = await worker(by).call({ op: 'read', key, as, stall })
    record({
      kind: 'read',
      worker: by,
      key,
      as,
      start: reply.start,
      end: reply.end,
      status: reply.status,
      object: reply.object,
      error: reply.error,
    })
  }

  const perform = async (step: Step): Promise<void> => {
    switch (step.kind) {
      case 'read': {
        await read(step.worker, step.object, step.as)
        return
      }
      case 'stall': {
        // The object in the stalled worker's L1 and a newer version in S3; while it is stalled, another
        // worker invalidates the object (one Valkey round trip and the publish: done within the stall).
        // A read of it is in flight as the stall begins (sent just before): its reply waits unread, and
        // the read that follows the stall must not take it.
        await read(step.worker, step.object, step.as)
        await read(step.worker, step.object, step.as)
        const object = { at: step.at, worker: step.by, object: step.object }
        await perform({ ...object, kind: 'outside', remove: false, delivery: 'none' })
        const inFlight = read(step.worker, step.object, step.as)
        const stalled = read(step.worker, step.object, step.as, step.ms)
        await sleep(20)
        await perform({ ...object, kind: 'invalidate' })
        await Promise.all([inFlight, stalled])
        return
      }
      case 'wrap': {
        wrapShape(step.name)
        const reply = await worker(step.worker).call({ op: 'wrap', name: step.name })
        record({
          kind: 'wrap',
          worker: step.worker,
          name: step.name,
          start: reply.start,
          end: reply.end,
          status: reply.status,
          value: reply.value,
          error: reply.error,
        })
        return
      }
      case 'put': {
        const key = objectKey(run, step.object)
        await serialized(key, async () => {
          const version = newVersion(key)
          const tags = step.tagged ? ['t2'] : []
          const body = objectBody(key, version, PADDING[step.object as ObjectName], tags)
          const entry: S3Version = {
            version,
            body,
            by: 'put',
            worker: step.worker,
            start: now(),
            end: 0,
            outcome: 'maybe',
          }
          history.versions.get(key)?.push(entry)
          const reply = await worker(step.worker).call({ op: 'put', key, body, tags })
          entry.start = reply.start || entry.start
          entry.end = reply.end || now()
          entry.published = reply.published !== false
          entry.outcome = reply.error
            ? reply.error.name === 'CacheWriteError'
              ? 'cache-failed'
              : 'maybe'
            : 'ok'
          if (entry.outcome !== 'maybe')
            pending.push(deliver(key, version, 'created', step.delivery, step.worker))
        })
        return
      }
      case 'outside': {
        const key = objectKey(run, step.object)
        await serialized(key, async () => {
          const version = newVersion(key)
          const body = step.remove ? null : objectBody(key, version, PADDING[step.object as ObjectName], [])
          const entry: S3Version = { version, body, by: 'outside', start: now(), end: 0, outcome: 'outside' }
          history.versions.get(key)?.push(entry)
          if (body === null)
            await system.s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
          else
            await system.s3.client.send(
              new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
            )
          entry.end = now()
          pending.push(
            deliver(key, version, body === null ? 'removed' : 'created', step.delivery, step.worker),
          )
        })
        return
      }
      case 'invalidate': {
        const key = objectKey(run, step.object)
        const reply = await worker(step.worker).call({ op: 'invalidate', key })
        record({
          kind: 'invalidate',
          worker: step.worker,
          key,
          start: reply.start,
          end: reply.end,
          ok: !reply.error,
          published: reply.published !== false,
        })
        return
      }
      case 'invalidateTags': {
        const reply = await worker(step.worker).call({ op: 'invalidateTags', tags: step.tags })
        record({
          kind: 'invalidateTags',
          worker: step.worker,
          tags: step.tags,
          start: reply.start,
          end: reply.end,
          ok: !reply.error,
          published: reply.published !== false,
        })
        return
      }
      case 'freeze': {
        const start = now()
        await worker(step.worker).freeze(step.ms)
        record({
          kind: 'fault',
          what: `freeze worker ${step.worker % workers.length} ${step.ms} ms`,
          start,
          end: now(),
        })
        return
      }
      case 's3': {
        const start = now()
        system.proxy.set(step.mode)
        await sleep(step.ms)
        system.proxy.set('pass')
        record({ kind: 'fault', what: `s3 ${step.mode} ${step.ms} ms`, start, end: now() })
        return
      }
      case 'silence': {
        const start = now()
        system.silence()
        record({ kind: 'fault', what: 'silence', start, end: now() })
        return
      }
      case 'unsubscribe': {
        const start = now()
        await system.killSubscribers()
        record({ kind: 'fault', what: 'unsubscribe', start, end: now() })
        return
      }
      case 'pause':
      case 'crash':
      case 'failover': {
        // Server faults one at a time: a second pause of a paused node, or a crash during a failover,
        // would test the test.
        const fault = serverFaults.then(async () => {
          const start = now()
          if (step.kind === 'pause') await system.pause(step.node, step.ms)
          else if (step.kind === 'crash') await system.crash()
          else await system.failover()
          const what = step.kind === 'pause' ? `pause node ${step.node} ${step.ms} ms` : step.kind
          record({ kind: 'fault', what, start, end: now() })
        })
        serverFaults = fault.catch(() => {})
        await fault
        return
      }
    }
  }

  const started = now()
  const steps = [...program.steps].sort((a, b) => a.at - b.at)
  for (const step of steps) {
    const wait = step.at - (now() - started)
    if (wait > 0) await sleep(wait)
    pending.push(
      perform(step).catch((error: unknown) => {
        history.events.push(
          `runner: ${describeStep(step)} failed: ${(error as Error).stack ?? String(error)}`,
        )
      }),
    )
  }
  // Deliveries are added while writes finish: settle until nothing is left.
  for (let settled = 0; settled < pending.length; ) {
    const batch = pending.slice(settled)
    settled = pending.length
    await Promise.all(batch)
  }
  await serverFaults
  history.evicted = await stopEvictor()
  for (const each of workers) {
    const { runs, events } = each.drain()
    for (const loaderRun of runs) history.runs.set(loaderRun.id, loaderRun)
    for (const event of events) history.events.push(`worker ${each.index}: ${event}`)
  }
  return history
}
