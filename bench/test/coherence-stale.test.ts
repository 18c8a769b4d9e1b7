import { describe, expect, it } from 'vitest'
import type { ReadRecords, WriteRecord } from '../src/coherence/child'
import { checkStale } from '../src/coherence/stale'
import { STALE_MARGIN_MS } from '../src/coherence/workload'

/** Reads of one process: [rank, began at, version answered]. */
function readsOf(rows: [number, number, number][]): ReadRecords {
  return {
    ranks: Uint16Array.from(rows, (r) => r[0]),
    started: Float64Array.from(rows, (r) => r[1]),
    latenciesMs: Float64Array.from(rows, () => 0.01),
    versions: Float64Array.from(rows, (r) => r[2]),
  }
}

const write = (rank: number, version: number, started: number, resolved: number): WriteRecord => ({
  rank,
  version,
  started,
  resolved,
  ok: true,
})

// The benchmark's judge, on made-up histories: which reads count as stale.
describe('checkStale', () => {
  it('judges by the bound the library states: one delivery (100 ms) plus the model’s 50 ms', () => {
    expect(STALE_MARGIN_MS).toBe(150)
    const writes = [write(3, 17, 1000, 1010)]
    const report = checkStale(
      [
        readsOf([
          [3, 1010 + 120, 0], // within the bound: the old version may still be answered
          [3, 1010 + 149, 0],
          [3, 1010 + 151, 0], // past it
          [3, 1010 + 400, 17],
          [4, 1010 + 400, 0], // another key: nothing wrote it
        ]),
      ],
      writes,
      STALE_MARGIN_MS,
    )
    expect(report.stale).toBe(1)
    expect(report.unknown).toBe(0)
    expect(report.examples).toEqual([
      { process: 0, rank: 3, answered: 0, superseded: 17, ageMs: 151, latencyMs: 0.01 },
    ])
    expect(report.maxAgeMs).toBe(151)
  })

  it('counts neither of two overlapping writes as newer, and a version nobody wrote as unknown', () => {
    const writes = [write(3, 17, 1000, 1010), write(3, 34, 1005, 1020), write(3, 49, 1100, 1110)]
    const report = checkStale(
      [
        readsOf([[3, 1090, 17]]),
        readsOf([[3, 1090, 34]]),
        readsOf([
          [3, 2000, 34],
          [3, 2000, 99],
        ]),
      ],
      writes,
      STALE_MARGIN_MS,
    )
    // 17 and 34 overlap: either may be the last one at 1090. Version 49 began after 34 resolved.
    expect(report.examples.map((e) => [e.process, e.answered, e.superseded])).toEqual([[2, 34, 49]])
    expect(report.stale).toBe(1)
    expect(report.unknown).toBe(1)
  })
})
