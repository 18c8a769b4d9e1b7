import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import { allCpus, cpuPlan, pin } from '../src/cpu-pinning'

/** The CPUs a thread may run on, as the kernel lists them. */
const allowed = (pid: number, tid = pid): string =>
  /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? ''

const threads = (pid: number): number[] => readdirSync(`/proc/${pid}/task`).map(Number)

describe('cpu pinning of the per-process scenario', () => {
  const plan = cpuPlan()

  it('keeps the server and the contenders apart on a machine with several CPUs and taskset', () => {
    expect(availableParallelism()).toBeGreaterThan(1)
    expect(plan).toEqual({
      server: '0',
      contenders: availableParallelism() === 2 ? '1' : `1-${availableParallelism() - 1}`,
    })
  })

  it('moves every thread of a running Node process, and gives it back every CPU', async () => {
    if ('skipped' in plan) throw new Error(plan.skipped)
    // A Node process has several threads (V8's workers, libuv's): each one moves.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    try {
      await new Promise((resolve) => child.once('spawn', resolve))
      const pid = child.pid as number
      while (threads(pid).length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(pin(pid, plan.contenders)).toBe(true)
      expect(threads(pid).map((tid) => allowed(pid, tid))).toEqual(threads(pid).map(() => plan.contenders))
      expect(pin(pid, allCpus())).toBe(true)
      expect(allowed(pid)).toBe(allCpus())
      expect(pin(undefined, plan.contenders)).toBe(false)
    } finally {
      child.kill()
    }
  })
})
