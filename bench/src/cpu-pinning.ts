import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

/**
 * Which CPUs the server and the contender processes run on, when they can be kept apart: the server
 * on the first CPU, the contenders on the others. A Lambda and its ElastiCache node never share a
 * CPU; on a 2-core machine left to the scheduler they often do, and a round trip at concurrency 1 then
 * costs a context switch or not depending on where each landed, which moved ratios by ±0.25 between
 * runs. `skipped`, with the reason, on one CPU or without `taskset` (util-linux).
 */
export interface CpuPlan {
  server: string
  contenders: string
}

export function cpuPlan(): CpuPlan | { skipped: string } {
  const cpus = availableParallelism()
  if (cpus < 2) return { skipped: 'one CPU: the server and the contenders share it' }
  if (spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status !== 0)
    return { skipped: 'no taskset (util-linux): processes left to the scheduler' }
  return { server: '0', contenders: cpus === 2 ? '1' : `1-${cpus - 1}` }
}

/** Sets the CPUs of every thread of `pid` (`taskset -a`); `false` when that failed. */
export function pin(pid: number | undefined, cpus: string): boolean {
  if (pid === undefined) return false
  return spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' }).status === 0
}

/** Every CPU of the machine, to give a pinned process back to the scheduler. */
export function allCpus(): string {
  return `0-${availableParallelism() - 1}`
}

/** The plan in words, for the log and the report. */
export function describePlan(plan: CpuPlan | { skipped: string }): string {
  if ('skipped' in plan) return `not pinned (${plan.skipped})`
  return `valkey-server on CPU ${plan.server}, each contender's process on CPU ${plan.contenders}`
}
