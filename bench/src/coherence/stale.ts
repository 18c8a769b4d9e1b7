import type { ReadRecords, WriteRecord } from './child'

export interface StaleReport {
  /** Reads that answered a version superseded more than the margin before they began. */
  stale: number
  /** The longest time between the superseding write's resolution and such a read's start, ms. */
  maxAgeMs: number
  /** Reads of a version no write (and not the seed) produced: a defect of the benchmark or the cache. */
  unknown: number
  /** The first few stale reads, to tell a defect of the cache from one of the benchmark. */
  examples: StaleExample[]
}

export interface StaleExample {
  /** The reading process. */
  process: number
  rank: number
  /** The version answered, and the one that superseded it (its writer: `version % 16 − 1`). */
  answered: number
  superseded: number
  /** ms from the superseding write's resolution to the read's start. */
  ageMs: number
  latencyMs: number
}

interface KeyWrites {
  /** Resolution times, ascending. */
  resolved: Float64Array
  /** For each index, the latest start among the writes resolved up to it. */
  latestStart: Float64Array
  versions: Float64Array
}

/**
 * Checks every read against the writes of its key. A read of version v that began at t is stale when
 * some write W resolved before t − margin and W began after the write of v resolved: W then follows v
 * in real time, and the reader was told of it long enough ago. Writes that overlap one another may
 * land in either order, so neither counts as newer than the other. The seed (version 0) resolved
 * before every write began.
 */
export function checkStale(
  reads: readonly ReadRecords[],
  writes: readonly WriteRecord[],
  marginMs: number,
): StaleReport {
  const resolvedOf = new Map<number, number>([[0, Number.NEGATIVE_INFINITY]])
  const byRank = new Map<number, WriteRecord[]>()
  for (const write of writes) {
    resolvedOf.set(write.version, write.resolved)
    let list = byRank.get(write.rank)
    if (!list) {
      list = []
      byRank.set(write.rank, list)
    }
    list.push(write)
  }
  const indexed = new Map<number, KeyWrites>()
  for (const [rank, list] of byRank) {
    list.sort((a, b) => a.resolved - b.resolved)
    const latestStart = new Float64Array(list.length)
    let latest = Number.NEGATIVE_INFINITY
    list.forEach((write, i) => {
      latest = Math.max(latest, write.started)
      latestStart[i] = latest
    })
    indexed.set(rank, {
      resolved: Float64Array.from(list, (w) => w.resolved),
      latestStart,
      versions: Float64Array.from(list, (w) => w.version),
    })
  }
  const report: StaleReport = { stale: 0, maxAgeMs: 0, unknown: 0, examples: [] }
  reads.forEach((records, process) => {
    for (let i = 0; i < records.ranks.length; i++) {
      const versionResolved = resolvedOf.get(records.versions[i] as number)
      if (versionResolved === undefined) {
        report.unknown++
        continue
      }
      const key = indexed.get(records.ranks[i] as number)
      if (!key) continue
      const cutoff = (records.started[i] as number) - marginMs
      const last = lastAtOrBefore(key.resolved, cutoff)
      if (last < 0 || (key.latestStart[last] as number) <= versionResolved) continue
      report.stale++
      // Age: from the first write (by resolution) that began after v resolved; latestStart ascends.
      const first = lastAtOrBefore(key.latestStart, versionResolved) + 1
      const ageMs = cutoff + marginMs - (key.resolved[first] as number)
      report.maxAgeMs = Math.max(report.maxAgeMs, ageMs)
      if (report.examples.length < 5) {
        report.examples.push({
          process,
          rank: records.ranks[i] as number,
          answered: records.versions[i] as number,
          superseded: key.versions[first] as number,
          ageMs,
          latencyMs: records.latenciesMs[i] as number,
        })
      }
    }
  })
  return report
}

/** The last index whose value is ≤ `limit` in an ascending array, −1 when none. */
function lastAtOrBefore(sorted: Float64Array, limit: number): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if ((sorted[mid] as number) <= limit) low = mid + 1
    else high = mid
  }
  return low - 1
}
