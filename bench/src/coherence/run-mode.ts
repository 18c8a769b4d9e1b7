import { fileURLToPath } from 'node:url'
import { type BenchEnv, putDoc } from '../env'
import { Peer } from '../scenarios/peer'
import type { FromChild, RunResult, ToChild } from './child'
import { trafficOf } from './traffic'
import { bodyOf, CHANGE_CHANNEL, keyOf, type Mode, PROCESSES } from './workload'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))

type Answer<T extends FromChild['type']> = Extract<FromChild, { type: T }>

export interface ModeRun {
  mode: Mode
  /** One per process, in process order. */
  runs: RunResult[]
  memory: Answer<'measured'>[]
  /** Messages the parent's own subscriber heard on the change channel during the run. */
  messages: number
  /** Valkey bytes in + out of the cache processes' connections during the run. */
  trafficBytes: number
}

export interface RunSettings {
  durationMs: number
  concurrency: number
  seed: number
}

/**
 * The objects at `ranks` back at version 0 in S3, and an empty Valkey: each mode starts from the same
 * state (the first with every rank, later ones with those the previous mode wrote).
 */
export async function reset(env: BenchEnv, ranks: readonly number[]): Promise<void> {
  for (let i = 0; i < ranks.length; i += 32) {
    await Promise.all(
      ranks.slice(i, i + 32).map((rank) => putDoc(env.s3.client, keyOf(rank), bodyOf(rank, 0))),
    )
  }
  await env.admin.flushall()
}

/**
 * One mode, from a reset state: fresh processes with the mode's cache, L2 filled by the first process and every L1 by its own
 * reads, the memory measured, then all processes reading and writing together for the run's duration.
 */
export async function runMode(
  env: BenchEnv,
  mode: Mode,
  settings: RunSettings,
  log: (line: string) => void,
): Promise<ModeRun> {
  const t0 = performance.now()
  const phase = (name: string) => log(`${mode.name}: ${name} at ${Math.round(performance.now() - t0)} ms`)
  const peers = Array.from(
    { length: PROCESSES },
    () => new Peer<ToChild, FromChild>(CHILD, { execArgv: ['--expose-gc'], advanced: true }),
  )
  const counter = await env.valkey.adminClient()
  try {
    await Promise.all(
      peers.map((peer, index) =>
        peer.ask({ type: 'create', mode: mode.name, index, endpoints: env.endpoints }),
      ),
    )
    phase('created')
    const [first, ...others] = peers as [Peer<ToChild, FromChild>, ...Peer<ToChild, FromChild>[]]
    await first.ask({ type: 'fill' })
    await Promise.all(others.map((peer) => peer.ask({ type: 'fill' })))
    phase('filled')
    const memory = (await Promise.all(
      peers.map((peer) => peer.ask({ type: 'memory' })),
    )) as Answer<'measured'>[]

    phase('measured')
    let counting = false
    let messages = 0
    counter.on('message', (channel: string) => {
      if (counting && channel === CHANGE_CHANNEL) messages++
    })
    // A subscribed connection cannot ask CLIENT ID: ask first.
    const excluded = new Set([String(await env.admin.client('ID')), String(await counter.client('ID'))])
    await counter.subscribe(CHANGE_CHANNEL)
    const before = await trafficOf(env.admin, excluded)
    counting = true
    log(
      `${mode.name}: ${PROCESSES} processes × concurrency ${settings.concurrency}, ${settings.durationMs} ms`,
    )
    const answers = (await Promise.all(
      peers.map((peer, index) =>
        peer.ask({
          type: 'run',
          durationMs: settings.durationMs,
          concurrency: settings.concurrency,
          seed: settings.seed + index,
        }),
      ),
    )) as Answer<'ran'>[]
    // The last writes' messages are still on their way.
    await new Promise((resolve) => setTimeout(resolve, 200))
    counting = false
    const trafficBytes = (await trafficOf(env.admin, excluded)) - before
    return { mode, runs: answers.map((a) => a.result), memory, messages, trafficBytes }
  } finally {
    await Promise.all(peers.map((peer) => peer.stop({ type: 'exit' })))
    counter.disconnect()
  }
}
