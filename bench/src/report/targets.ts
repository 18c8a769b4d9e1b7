import type { BenchResults } from '../results'
import type { CellResult } from '../scenarios/timed'

/** One of issue 8's targets, judged from the results alone. */
export interface TargetVerdict {
  target: string
  met: boolean | undefined
  detail: string
}

const PEERS = ['bentocache', 'cache-manager', 'cachified']

const cell = (cells: CellResult[], id: string, sizeKiB: number, concurrency: number) =>
  cells.find((c) => c.contender === id && c.sizeKiB === sizeKiB && c.concurrency === concurrency)

function perSize(
  cells: CellResult[],
  concurrency: number,
  test: (core: CellResult, size: number) => { ok: boolean; text: string },
) {
  const sizes = [...new Set(cells.map((c) => c.sizeKiB))].sort((a, b) => a - b)
  const parts = sizes.flatMap((size) => {
    const core = cell(cells, 'core', size, concurrency)
    return core ? [test(core, size)] : []
  })
  return {
    met: parts.length === 0 ? undefined : parts.every((p) => p.ok),
    detail: parts.map((p) => p.text).join('; '),
  }
}

export function judgeTargets(results: BenchResults): TargetVerdict[] {
  const verdicts: TargetVerdict[] = []
  const l2 = results.scenarios.l2Hit
  if (l2) {
    verdicts.push({
      target: 'L2 hit, `getJson` without schema: p50 latency ≤ 1.15× the raw floor at concurrency 1',
      ...perSize(l2, 1, (core, size) => ({
        ok: core.ratioToFloor.p50 <= 1.15,
        text: `${size} KiB ${core.ratioToFloor.p50}×`,
      })),
    })
    verdicts.push({
      target: 'L2 hit, `getJson` without schema: throughput ≥ 0.85× the raw floor at concurrency 64',
      ...perSize(l2, 64, (core, size) => ({
        ok: core.ratioToFloor.throughput >= 0.85,
        text: `${size} KiB ${core.ratioToFloor.throughput}×`,
      })),
    })
    const faster = (
      concurrency: number,
      better: (core: CellResult, peer: CellResult) => boolean,
      what: string,
    ) =>
      perSize(l2, concurrency, (core, size) => {
        const losers = PEERS.filter((id) => {
          const peer = cell(l2, id, size, concurrency)
          return peer !== undefined && !better(core, peer)
        })
        return {
          ok: losers.length === 0,
          text: `${size} KiB ${losers.length ? `behind ${losers.join(', ')}` : what}`,
        }
      })
    const c1 = faster(1, (core, peer) => core.ratioToFloor.p50 < peer.ratioToFloor.p50, 'fastest')
    const c64 = faster(
      64,
      (core, peer) => core.ratioToFloor.throughput > peer.ratioToFloor.throughput,
      'fastest',
    )
    verdicts.push({
      target: 'L2 hit: faster than every peer at every size (p50 at concurrency 1, throughput at 64)',
      met: c1.met === undefined || c64.met === undefined ? undefined : c1.met && c64.met,
      detail: `c=1: ${c1.detail}. c=64: ${c64.detail}`,
    })
  }
  const stampede = results.scenarios.stampede?.find((s) => s.contender === 'core')
  if (stampede) {
    const totals = stampede.trials.map((t) => t.total)
    verdicts.push({
      target: `Stampede (${stampede.children} processes × ${stampede.readsPerChild} reads of one cold key): 1 origin call for core`,
      met: totals.every((t) => t === 1) && stampede.trials.every((t) => t.errors === 0),
      detail: `origin calls per trial: ${totals.join(', ')}`,
    })
  }
  const bytes = results.scenarios.bytes?.filter((b) => b.sizeKiB === 100)
  const coreBytes = bytes?.find((b) => b.contender === 'core')
  const peerBytes = bytes?.filter((b) => PEERS.includes(b.contender)) ?? []
  if (coreBytes && peerBytes.length) {
    const best = Math.min(...peerBytes.map((b) => b.bytesPerHit))
    verdicts.push({
      target: 'Bytes per hit for 100 KiB JSON ≤ half of the best peer’s',
      met: coreBytes.bytesPerHit <= best / 2,
      detail: `core ${coreBytes.bytesPerHit} B, best peer ${best} B (${Math.round((coreBytes.bytesPerHit / best) * 100)} %)`,
    })
  }
  const trips = results.scenarios.roundTrips?.find((r) => r.contender === 'core')
  if (trips) {
    verdicts.push({
      target: 'Exactly 1 Valkey command per L2 hit',
      met: trips.hit.commands === 1 && trips.hit.sent === 1,
      detail: `${trips.hit.sent} sent, ${trips.hit.commands} run (${Object.entries(trips.hit.byCommand)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    })
  }
  return verdicts
}
