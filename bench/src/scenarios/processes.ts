import { fileURLToPath } from 'node:url'
import { pin } from '../cpu-pinning'
import type { Endpoints } from '../env'
import type { BenchDoc } from '../payload'
import type { Settings } from '../settings'
import { round as roundTo } from '../stats'
import type { FromContender, ToContender } from './contender-child'
import { Peer } from './peer'
import {
  type Cell,
  type CellResult,
  keysFor,
  logCell,
  type MeasuredCell,
  order,
  type RoundResult,
  roundOf,
  summarizeCell,
} from './timed'

const CHILD = fileURLToPath(new URL('./contender-child.ts', import.meta.url))

type Answer<T extends FromContender['type']> = Extract<FromContender, { type: T }>

interface Member {
  id: string
  name: string
  peer: Peer<ToContender, FromContender>
  /** The contender's S3 calls at its last answer. */
  originCalls: number
}

/** A round of a cell, with the bytes Valkey sent per operation when a byte counter was given. */
export type ProcessRound = RoundResult & { bytesPerOp?: number }

/**
 * One child process per contender, all on the same servers: each contender has a process, a heap,
 * an event loop and a JIT of its own, as one Lambda instance would, and the CPU time of a sample is
 * its alone. Samples run one at a time, contenders in a rotating order per round; the others wait idle.
 * Unlike the shared-process rounds, no sample starts with a forced full GC: no other contender's
 * garbage can be collected on its time, and the forced GC shrank the young generation before every
 * sample, so each began with the small one of a fresh process. That penalized by allocation per hit,
 * which a process serving requests pays only at its start: at c=64 (1 KiB) core went from 0.84× raw
 * with it to 1.09× without it, raw's own CPU per hit from 13.5 to 11.9 µs.
 */
export class ContenderProcesses {
  private readonly members: Member[]

  private constructor(members: Member[]) {
    this.members = members
  }

  /** Starts one process per id and creates its contender there (the first id is the floor). */
  static async start(ids: string[], endpoints: Endpoints): Promise<ContenderProcesses> {
    const members = ids.map((id) => ({
      id,
      name: id,
      peer: new Peer<ToContender, FromContender>(CHILD, { advanced: true }),
      originCalls: 0,
    }))
    const processes = new ContenderProcesses(members)
    try {
      for (const member of members) {
        const created = (await member.peer.ask({
          type: 'create',
          id: member.id,
          endpoints,
        })) as Answer<'created'>
        member.name = created.name
      }
    } catch (error) {
      await processes.stop()
      throw error
    }
    return processes
  }

  /** Every contender loads each of the doc's `count` keys once and reads it once more (checked). */
  async fill(doc: BenchDoc, count: number): Promise<void> {
    const keys = keysFor(doc, count)
    for (const member of this.members) {
      const filled = (await member.peer.ask({ type: 'fill', doc, keys })) as Answer<'filled'>
      member.originCalls = filled.originCalls
    }
  }

  /**
   * Warm-up, then `settings.processRounds` rounds of one sample per contender. `bytesSent`, when given, is
   * read before and after each sample (Valkey's output byte counter) to give bytes per operation.
   */
  async runCell(
    cell: Cell,
    doc: BenchDoc,
    settings: Settings,
    log: (line: string) => void,
    bytesSent?: () => Promise<number>,
  ): Promise<{ results: CellResult[]; rounds: Map<string, ProcessRound[]> }> {
    const keys = keysFor(doc, cell.keys)
    const start = new Map(this.members.map((m) => [m.id, m.originCalls]))
    for (const member of this.members) {
      const warmed = (await member.peer.ask({
        type: 'warm',
        doc,
        keys,
        ops: settings.warmupOps,
        concurrency: cell.concurrency,
      })) as Answer<'warmed'>
      member.originCalls = warmed.originCalls
    }
    const measured = new Map<string, MeasuredCell & { rounds: ProcessRound[] }>(
      this.members.map((m) => [m.id, { id: m.id, name: m.name, rounds: [], latencies: [], originCalls: 0 }]),
    )
    for (let r = 0; r < settings.processRounds; r++) {
      for (const member of order(this.members, r)) {
        const before = bytesSent ? await bytesSent() : 0
        const answer = (await member.peer.ask({
          type: 'sample',
          doc,
          keys,
          concurrency: cell.concurrency,
          minMs: settings.processMinMs,
          minOps: settings.minOps,
        })) as Answer<'sampled'>
        const round: ProcessRound = roundOf(answer.sample)
        if (bytesSent) round.bytesPerOp = roundTo(((await bytesSent()) - before) / answer.sample.ops)
        member.originCalls = answer.originCalls
        const entry = measured.get(member.id)
        entry?.rounds.push(round)
        entry?.latencies.push(answer.sample.latenciesMs)
      }
    }
    for (const member of this.members) {
      const entry = measured.get(member.id)
      if (entry) entry.originCalls = member.originCalls - (start.get(member.id) ?? 0)
    }
    const list = [...measured.values()]
    const results = summarizeCell(cell, list)
    for (const result of results) logCell(log, result)
    return { results, rounds: new Map(list.map((m) => [m.id, m.rounds])) }
  }

  /** Runs every contender's process (each of its threads) on `cpus` (`taskset` syntax); `false` if one failed. */
  pinTo(cpus: string): boolean {
    return this.members.map((member) => pin(member.peer.pid, cpus)).every(Boolean)
  }

  /** Closes every contender and ends its process. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((member) => member.peer.stop({ type: 'exit' })))
  }
}
