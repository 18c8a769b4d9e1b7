import { bytes, num, table } from '../report/format'
import { type Distribution, distribution, median, round } from '../stats'
import type { ModeRun } from './run-mode'
import { checkStale, type StaleReport } from './stale'
import { type ModeName, STALE_MARGIN_MS } from './workload'

export interface ModeSummary {
  mode: ModeName
  description: string
  reads: number
  writes: number
  /** Writes whose `put` threw. */
  failedWrites: number
  readsPerSecPerProcess: number[]
  readsPerSecTotal: number
  /** L1 hits (`hit` events with `layer: 'l1'`) over reads. */
  l1HitRatio: number
  /** S3 loads during the run (misses that reached the origin). */
  originLoads: number
  /** Valkey bytes in + out of the cache processes' connections (CLIENT LIST), over reads. */
  valkeyBytesPerRead: number
  /** Per read, all processes' samples merged, µs. */
  latencyUs: Distribution
  /** Messages on the change channel over writes. */
  messages: number
  messagesPerWrite: number
  stale: StaleReport
  /** Median over processes of the entries L1 held after the fill. */
  l1Entries: number
  /** Median over processes of heapUsed + external after a full GC, bytes… */
  memoryBytes: number
  /** …and of each part (external holds the Uint8Array bodies). */
  heapUsedBytes: number
  externalBytes: number
  /** (memoryBytes − the l2 mode's) / l1Entries; absent without L1 entries or an l2 run. */
  bytesPerL1Entry?: number
  /** Error events and failed puts the processes saw (first few of each). */
  errors: string[]
}

export function summarize(run: ModeRun): ModeSummary {
  const reads = run.runs.reduce((sum, r) => sum + r.reads.ranks.length, 0)
  const writes = run.runs.flatMap((r) => r.writes)
  const perProcess = run.runs.map((r) => round(r.reads.ranks.length / (r.elapsedMs / 1000)))
  const l1Hits = run.runs.reduce((sum, r) => sum + r.l1Hits, 0)
  const latencies = new Float64Array(reads)
  let offset = 0
  for (const r of run.runs) {
    latencies.set(r.reads.latenciesMs, offset)
    offset += r.reads.latenciesMs.length
  }
  return {
    mode: run.mode.name,
    description: run.mode.description,
    reads,
    writes: writes.length,
    failedWrites: writes.filter((w) => !w.ok).length,
    readsPerSecPerProcess: perProcess,
    readsPerSecTotal: round(perProcess.reduce((sum, x) => sum + x, 0)),
    l1HitRatio: round(l1Hits / reads),
    originLoads: run.runs.reduce((sum, r) => sum + r.originLoads, 0),
    valkeyBytesPerRead: round(run.trafficBytes / reads),
    latencyUs: distribution(latencies),
    messages: run.messages,
    messagesPerWrite: writes.length === 0 ? 0 : round(run.messages / writes.length),
    stale: checkStale(
      run.runs.map((r) => r.reads),
      writes,
      STALE_MARGIN_MS,
    ),
    l1Entries: median(run.memory.map((m) => m.entries)),
    memoryBytes: median(run.memory.map((m) => m.heapUsed + m.external)),
    heapUsedBytes: median(run.memory.map((m) => m.heapUsed)),
    externalBytes: median(run.memory.map((m) => m.external)),
    errors: run.runs.flatMap((r) => r.errors),
  }
}

/** Fills in each L1 mode's bytes per entry against the l2 mode's memory. */
export function addMemoryPerEntry(summaries: ModeSummary[]): void {
  const base = summaries.find((s) => s.mode === 'l2')
  if (!base) return
  for (const summary of summaries) {
    if (summary.mode === 'l2' || summary.l1Entries === 0) continue
    summary.bytesPerL1Entry = round((summary.memoryBytes - base.memoryBytes) / summary.l1Entries)
  }
}

export function markdown(summaries: ModeSummary[]): string {
  return table(
    [
      'mode',
      'reads/s per process',
      'reads/s total',
      'L1 hit ratio',
      'Valkey bytes / read',
      'p50 µs',
      'p99 µs',
      'writes',
      'messages / write',
      'stale reads (max age)',
      'L1 entries',
      'memory / L1 entry',
    ],
    summaries.map((s) => [
      `\`${s.mode}\``,
      s.readsPerSecPerProcess.map(num).join(' / '),
      num(s.readsPerSecTotal),
      `${round(s.l1HitRatio * 100)} %`,
      num(s.valkeyBytesPerRead),
      num(s.latencyUs.p50),
      num(s.latencyUs.p99),
      num(s.writes),
      num(s.messagesPerWrite),
      s.stale.stale === 0 ? '0' : `${num(s.stale.stale)} (${num(Math.round(s.stale.maxAgeMs))} ms)`,
      num(s.l1Entries),
      s.bytesPerL1Entry === undefined ? '–' : bytes(s.bytesPerL1Entry),
    ]),
  )
}
