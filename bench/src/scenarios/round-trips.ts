import type { Redis } from 'iovalkey'
import { spec } from '../contenders'
import { type BenchEnv, putDoc } from '../env'
import type { Settings } from '../settings'
import { round } from '../stats'
import { commandStats } from './valkey-stats'

export interface CommandCounts {
  /** `INFO commandstats` calls per operation, commands run inside scripts included. */
  commands: number
  byCommand: Record<string, number>
  /** Commands the client sent per operation (MONITOR, without those a script ran): the round trips. */
  sent: number
}

export interface RoundTripResult {
  contender: string
  name: string
  hit: CommandCounts
  miss: CommandCounts
}

/** Commands of the admin connection itself, left out of the deltas. */
const ADMIN_COMMANDS = new Set(['info', 'config|resetstat', 'ping', 'client|id', 'client|list', 'monitor'])

/** Counts client-sent commands between `begin()` and `end()` with MONITOR, ignoring scripts' inner commands and the admin connection. */
export async function watchCommands(admin: Redis) {
  const monitor = await admin.monitor()
  const adminId = String(await admin.client('ID'))
  const adminAddr = /addr=(\S+)/.exec(String(await admin.client('INFO')))?.[1] ?? ''
  let counting = false
  let sent = 0
  let marker: (() => void) | undefined
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === adminAddr) {
      if (args[0]?.toLowerCase() === 'echo' && args[1] === `bench-marker-${adminId}`) marker?.()
      return
    }
    if (counting && source !== 'lua') sent++
  })
  return {
    begin() {
      sent = 0
      counting = true
    },
    /** Waits until MONITOR has shown everything sent before now (a marker from admin arrives after it). */
    async end(): Promise<number> {
      const seen = new Promise<void>((resolve) => {
        marker = resolve
      })
      await admin.echo(`bench-marker-${adminId}`)
      await seen
      counting = false
      return sent
    },
    stop: () => monitor.disconnect(),
  }
}

export type CommandWatch = Awaited<ReturnType<typeof watchCommands>>

/** Commands `run` made, per operation of its `ops` (stats reset before). */
export async function count(admin: Redis, watch: CommandWatch, ops: number, run: () => Promise<void>) {
  await admin.config('RESETSTAT')
  watch.begin()
  await run()
  const sent = await watch.end()
  const { perOp, byCommand } = commandsPerOp(await commandStats(admin), ops)
  return { commands: perOp, byCommand, sent: round(sent / ops) }
}

/** The library's commands in `INFO commandstats` (the benchmark's own left out), per operation. */
export function commandsPerOp(
  stats: Record<string, number>,
  ops: number,
): { perOp: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {}
  let total = 0
  for (const [command, calls] of Object.entries(stats)) {
    if (ADMIN_COMMANDS.has(command) || command === 'echo') continue
    byCommand[command] = round(calls / ops)
    total += calls
  }
  return { perOp: round(total / ops), byCommand }
}

/**
 * Scenario 5: Valkey commands per hit and per miss for each library, from `INFO commandstats`
 * deltas (CONFIG RESETSTAT before each), with the commands actually sent counted by MONITOR.
 * Each library first reads another key, so connection set-up and script loading are not counted.
 */
export async function runRoundTrips(
  env: BenchEnv,
  settings: Settings,
  ids: string[],
  log: (line: string) => void,
): Promise<RoundTripResult[]> {
  const { admin } = env
  const doc = env.docs.find((d) => d.sizeKiB === 10) ?? env.docs[0]
  if (!doc) throw new Error('no document')
  const watch = await watchCommands(admin)
  const results: RoundTripResult[] = []
  try {
    for (const id of ids) {
      await admin.flushall()
      const warmKey = `round-trips/${id}/warm.json`
      const key = `round-trips/${id}/doc.json`
      await putDoc(env.s3.client, warmKey, doc.json)
      await putDoc(env.s3.client, key, doc.json)
      const contender = await spec(id).create(env.endpoints)
      try {
        await contender.read(warmKey)
        await contender.read(warmKey)
        const miss = await count(admin, watch, 1, async () => {
          await contender.read(key)
        })
        const hits = settings.countedHits
        const hit = await count(admin, watch, hits, async () => {
          for (let i = 0; i < hits; i++) await contender.read(key)
        })
        results.push({ contender: id, name: contender.name, hit, miss })
        const show = (c: CommandCounts) =>
          `${c.sent} sent / ${c.commands} run (${Object.entries(c.byCommand)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`
        log(`  ${contender.name.padEnd(16)} hit: ${show(hit)}   miss: ${show(miss)}`)
      } finally {
        await contender.close()
      }
    }
  } finally {
    watch.stop()
    await admin.flushall()
  }
  return results
}
