import { Redis } from 'iovalkey'
import { LINK_IDS } from '../contenders'
import type { BenchEnv, Endpoints } from '../env'
import { shapedLinkTable } from '../report/shaped-link-section'
import type { Settings } from '../settings'
import { median, round } from '../stats'
import { ecpusFor } from './codecs'
import { putKeyPool } from './l2-hit'
import { createShapedLink, linkUnavailable } from './link'
import { ContenderProcesses } from './processes'
import type { CellResult } from './timed'
import { bytesSentMeter } from './valkey-stats'

/** One contender at one link rate and size. */
export interface LinkCell extends CellResult {
  /** The link's rate, Mbit/s; `null`: the same path without a qdisc. */
  rateMbit: number | null
  /** Bytes Valkey sent per hit, RESP framing included (median over rounds). */
  bytesPerHit: number
  /** What the hits moved from server to client, Mbit/s (median over rounds): the link's use. */
  mbitPerSec: number
  /** ElastiCache Serverless ECPUs per hit for those bytes (1 per KB transferred, at least 1). */
  ecpuPerHit: number
}

export interface ShapedLinkResult {
  /** Why the scenario did not run (it needs root, `ip` and `tc`). */
  skipped?: string
  concurrency: number
  sizesKiB: number[]
  ratesMbit: (number | null)[]
  /** The qdisc on both ends of the veth pair at each rate, as `tc qdisc show` prints it. */
  qdiscs: { rateMbit: number | null; qdisc: string }[]
  cells: LinkCell[]
}

/** "500 Mbit/s", "2 Gbit/s", "unshaped". */
export function rateLabel(mbit: number | null): string {
  if (mbit === null) return 'unshaped'
  return mbit >= 1000 ? `${mbit / 1000} Gbit/s` : `${mbit} Mbit/s`
}

/**
 * Scenario 11: L2 hits over a link of limited bandwidth. valkey-server runs in a network namespace of
 * its own behind a veth pair whose egress (both ends) a `tbf` qdisc limits to each rate in turn, then
 * the same path unshaped. Each contender runs in a process of its own, `linkConcurrency` reads at a
 * time over `keyPool` keys. A cache that moves fewer bytes per hit serves more hits through the same link.
 */
export async function runShapedLink(
  env: BenchEnv,
  settings: Settings,
  log: (line: string) => void,
): Promise<ShapedLinkResult> {
  const result: ShapedLinkResult = {
    concurrency: settings.linkConcurrency,
    sizesKiB: settings.linkSizesKiB,
    ratesMbit: settings.linkRatesMbit,
    qdiscs: [],
    cells: [],
  }
  const unavailable = linkUnavailable()
  if (unavailable) {
    log(`  skipped: the shaped link ${unavailable}`)
    return { ...result, skipped: unavailable }
  }
  const docs = env.docs.filter((d) => settings.linkSizesKiB.includes(d.sizeKiB))
  await putKeyPool(env, docs, settings.keyPool)
  const link = await createShapedLink(log)
  const admin = new Redis({ host: link.host, port: link.port, lazyConnect: true, maxRetriesPerRequest: 1 })
  admin.on('error', () => {})
  let processes: ContenderProcesses | undefined
  try {
    await admin.connect()
    const endpoints: Endpoints = { ...env.endpoints, valkeyHost: link.host, valkeyPort: link.port }
    // Bytes sent to the contenders alone (this connection's INFO replies left out) where Valkey counts per client.
    const { read: bytesSent } = await bytesSentMeter(admin)
    processes = await ContenderProcesses.start(LINK_IDS, endpoints)
    link.shape(null)
    for (const doc of docs) await processes.fill(doc, settings.keyPool)
    for (const rateMbit of settings.linkRatesMbit) {
      const qdisc = link.shape(rateMbit)
      result.qdiscs.push({ rateMbit, qdisc })
      log(`  ${rateLabel(rateMbit)}: ${qdisc || 'no qdisc'}`)
      for (const doc of docs) {
        const cell = { sizeKiB: doc.sizeKiB, concurrency: settings.linkConcurrency, keys: settings.keyPool }
        const { results, rounds } = await processes.runCell(cell, doc, settings, log, bytesSent)
        for (const c of results) {
          const list = rounds.get(c.contender) ?? []
          const bytesPerHit = round(median(list.map((r) => r.bytesPerOp ?? Number.NaN)))
          result.cells.push({
            ...c,
            rateMbit,
            bytesPerHit,
            mbitPerSec: round(
              median(list.map((r) => (r.opsPerSec * (r.bytesPerOp ?? Number.NaN) * 8) / 1e6)),
            ),
            ecpuPerHit: ecpusFor(bytesPerHit),
          })
        }
      }
    }
  } finally {
    await processes?.stop()
    admin.disconnect()
    link.close()
  }
  log(shapedLinkTable(result))
  return result
}
