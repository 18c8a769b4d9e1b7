/** One timed sample: ops run by `concurrency` workers until both `minMs` and `minOps` are reached. */
export interface Sample {
  ops: number
  elapsedMs: number
  /** Per-operation latency, ms. */
  latenciesMs: Float64Array
  /** CPU time this process spent (user + system), µs: steadier than wall time on a busy machine. */
  cpuUs: number
}

export interface MeasureOptions {
  concurrency: number
  minMs: number
  minOps: number
}

export async function measure(op: () => unknown, options: MeasureOptions): Promise<Sample> {
  const latencies: number[] = []
  let started = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  const deadline = start + options.minMs
  const worker = async () => {
    while (started < options.minOps || performance.now() < deadline) {
      started++
      const t0 = performance.now()
      await op()
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  const elapsedMs = performance.now() - start
  const used = process.cpuUsage(cpu)
  return {
    ops: latencies.length,
    elapsedMs,
    latenciesMs: Float64Array.from(latencies),
    cpuUs: used.user + used.system,
  }
}

/** Runs `op` `count` times at `concurrency`, untimed (JIT warm-up, connections, caches). */
export async function warmUp(op: () => unknown, count: number, concurrency: number): Promise<void> {
  let left = count
  const worker = async () => {
    while (left-- > 0) await op()
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, count)) }, worker))
}
