import { PROCESS_IDS } from '../contenders'
import { allCpus, cpuPlan, describePlan, pin } from '../cpu-pinning'
import type { BenchEnv } from '../env'
import { perProcessTable } from '../report/per-process-section'
import type { Settings } from '../settings'
import { putKeyPool } from './l2-hit'
import { ContenderProcesses } from './processes'
import type { CellResult } from './timed'

/**
 * Scenario 1, one process per contender: L2 hits of 1/10/100 KiB JSON at concurrency 1 and 64,
 * each contender in a child process of its own on the same valkey-server (a Lambda instance each),
 * samples taken one at a time in alternating order. The CPU time per hit is then the contender's
 * alone: no other library's garbage, timers or JIT share its process. Floor: raw iovalkey. The server
 * and the contenders run on CPUs of their own where the machine allows (see cpu-pinning.ts).
 */
export async function runL2HitPerProcess(
  env: BenchEnv,
  settings: Settings,
  log: (line: string) => void,
): Promise<CellResult[]> {
  await putKeyPool(env, env.docs, settings.keyPool)
  const processes = await ContenderProcesses.start(PROCESS_IDS, env.endpoints)
  const results: CellResult[] = []
  const plan = cpuPlan()
  const server = env.valkey.process.pid
  try {
    if ('skipped' in plan || (pin(server, plan.server) && processes.pinTo(plan.contenders)))
      log(`  CPUs: ${describePlan(plan)}`)
    else throw new Error('taskset could not pin valkey-server or a contender process')
    for (const doc of env.docs) await processes.fill(doc, settings.keyPool)
    for (const doc of env.docs) {
      for (const concurrency of settings.concurrencies) {
        const cell = { sizeKiB: doc.sizeKiB, concurrency, keys: settings.keyPool }
        results.push(...(await processes.runCell(cell, doc, settings, log)).results)
      }
    }
  } finally {
    await processes.stop()
    // The other scenarios share this server: back to every CPU.
    if (!('skipped' in plan)) pin(server, allCpus())
  }
  log(perProcessTable(results))
  return results
}
