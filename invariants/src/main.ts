// npm run check:invariants -- --seconds N [--seed S] [--store standalone|cluster]
//   [--client iovalkey|glide|glide-bytes] [--engine valkey|redis] [--eviction volatile|allkeys]
//   [--workers 3] [--l1 mixed|all] [--shrink-seconds 120] [--path P (replay)] [--verbose] [--dump FILE]
//   [--sabotage stale-reads]
//
// A seeded, randomized model check: fast-check generates programs (settings, calls across several
// caches in separate processes, S3 writes outside the library, faults, freezes, random eviction), the
// runner executes each against real servers, and the model judges every answer against the README's
// bounds. A violation prints its seed and the program shrunk to its smallest failing form. The last
// line is always `N operations, M violations`; the exit code is 1 when M > 0.
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import fc from 'fast-check'
import { execute } from './execute'
import { dumpHistory } from './history'
import { Model, type Violation } from './model'
import { Worker } from './pool'
import { type Configuration, describeStep, type Program, programArbitrary } from './program'
import { System } from './system'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    seed: { type: 'string' },
    store: { type: 'string', default: 'standalone' },
    client: { type: 'string', default: 'iovalkey' },
    engine: { type: 'string', default: 'valkey' },
    eviction: { type: 'string', default: 'volatile' },
    workers: { type: 'string', default: '3' },
    l1: { type: 'string', default: 'mixed' },
    'shrink-seconds': { type: 'string', default: '120' },
    sabotage: { type: 'string' },
    path: { type: 'string' },
    dump: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
})

function choice<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T
  console.error(`--${name} must be one of ${allowed.join(', ')} (got ${value})`)
  process.exit(2)
}
const seconds = Number(values.seconds)
const shrinkSeconds = Number(values['shrink-seconds'])
const workerCount = Number(values.workers)
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
if (![seconds, shrinkSeconds, workerCount, seed].every(Number.isInteger) || seconds < 1 || workerCount < 1) {
  console.error(
    'usage: npm run check:invariants -- --seconds N [--seed S] [--store ...] [--client ...] [--engine ...]',
  )
  process.exit(2)
}
const config: Configuration = {
  store: choice('store', values.store, ['standalone', 'cluster'] as const),
  client: choice('client', values.client, ['iovalkey', 'glide', 'glide-bytes'] as const),
  engine: choice('engine', values.engine, ['valkey', 'redis'] as const),
  eviction: choice('eviction', values.eviction, ['volatile', 'allkeys'] as const),
  workers: workerCount,
  l1: choice('l1', values.l1, ['mixed', 'all'] as const),
}
const sabotage =
  values.sabotage === undefined ? undefined : choice('sabotage', values.sabotage, ['stale-reads'] as const)

const system = await System.start(config)
if (config.eviction === 'allkeys') await system.setEvictionPolicy('allkeys-lru')
const workers = await Promise.all(Array.from({ length: config.workers }, (_, i) => Worker.start(i)))
console.log(
  `check:invariants: ${config.store} ${config.engine}, ${config.client}, ${config.workers} workers (L1 ${config.l1}), eviction ${config.eviction}, seed ${seed}, ${seconds} s`,
)

let runs = 0
let operations = 0
let violations = 0
let shrinking = false
let firstFailure: Violation[] = []
/** A run the runner itself could not carry out (no answer was judged): the check failed, not the cache. */
let runnerError: unknown

/**
 * One program against the servers; counts what the search phase found. While shrinking, a program runs
 * up to three times and fails if any run does: timing decides many races, and a shrink step that did
 * not happen to fail once must not pass for a fix.
 */
async function check(program: Program): Promise<boolean> {
  // fast-check stops waiting for a run at its time limit but may call the property again: a run left
  // in flight must end before the next begins (runs share the servers), and none begins past the limit.
  const previous = inFlight
  let done: () => void = () => {}
  inFlight = new Promise<void>((resolve) => {
    done = resolve
  })
  try {
    await previous
    if (performance.now() > phaseEnds) return true
    return await checkNow(program)
  } finally {
    done()
  }
}

let inFlight: Promise<void> = Promise.resolve()
/** When the current phase (search, then shrinking) must stop starting runs (`performance.now()` time). */
let phaseEnds = Number.POSITIVE_INFINITY

async function checkNow(program: Program): Promise<boolean> {
  if (!shrinking) return once(program)
  for (let attempt = 0; attempt < 3; attempt++) if (!(await once(program))) return false
  return true
}

async function once(program: Program): Promise<boolean> {
  const run = ++runs
  // A worker that died (the library crashed its process: a violation already reported) is replaced.
  for (const [index, worker] of workers.entries()) {
    if (!worker.alive) {
      await worker.stop()
      workers[index] = await Worker.start(index)
    }
  }
  let history: Awaited<ReturnType<typeof execute>>
  try {
    history = await execute(system, workers, program, run, { sabotage })
  } catch (error) {
    runnerError ??= error
    throw error
  }
  const found = new Model(history, config).judge()
  if (values.verbose) {
    const counts = new Map<string, number>()
    for (const call of history.calls) {
      const label =
        call.kind === 'read' || call.kind === 'wrap'
          ? `${call.kind}:${call.status ?? call.error?.name}`
          : call.kind
      counts.set(label, (counts.get(label) ?? 0) + 1)
    }
    const summary = [...counts].map(([label, n]) => `${label} ${n}`).join(', ')
    console.log(
      `run ${run}: ${summary}; ${history.runs.size} loader runs, ${history.evicted} keys evicted, ${found.length} violations`,
    )
  }
  if (!shrinking) {
    operations += history.calls.filter((call) => call.kind !== 'fault').length
    violations += found.length
    if (found.length > 0 && firstFailure.length === 0) {
      firstFailure = found
      if (values.dump) writeFileSync(values.dump, dumpHistory(history))
    }
  }
  return found.length === 0
}

const property = fc.asyncProperty(programArbitrary(config), check)
let exitCode = 0
try {
  phaseEnds = performance.now() + seconds * 1000
  const searched = await fc.check(property, {
    seed,
    ...(values.path === undefined ? {} : { path: values.path }),
    numRuns: 1_000_000,
    interruptAfterTimeLimit: seconds * 1000,
    endOnFailure: true,
  })
  await inFlight
  // A failing run the time limit cut short is not reported as failed by fast-check: counted all the same.
  if (firstFailure.length > 0) {
    exitCode = 1
    const where = searched.failed ? `, path ${searched.counterexamplePath}` : ''
    console.log(`\nviolations (seed ${seed}${where}):`)
    for (const violation of firstFailure.slice(0, 10))
      console.log(`  [${violation.rule}] ${violation.detail}`)
    if (firstFailure.length > 10) console.log(`  … and ${firstFailure.length - 10} more`)
  }
  if (runnerError !== undefined) {
    // Every run after it would have checked nothing: say so, and fail, rather than count on.
    exitCode = 1
    console.log(`\nthe runner failed (seed ${seed}): ${(runnerError as Error).stack ?? String(runnerError)}`)
  } else if (searched.failed && searched.counterexamplePath !== null) {
    console.log(`\nshrinking for up to ${shrinkSeconds} s …`)
    shrinking = true
    phaseEnds = performance.now() + shrinkSeconds * 1000
    const shrunk = await fc.check(property, {
      seed,
      path: searched.counterexamplePath,
      numRuns: 1,
      interruptAfterTimeLimit: shrinkSeconds * 1000,
    })
    await inFlight
    const failing = shrunk.failed ? shrunk : searched
    const program = failing.counterexample?.[0] as Program | undefined
    if (program) {
      const which = shrunk.failed
        ? 'smallest failing program found'
        : 'the failing program (it did not fail again when replayed: timing decides it)'
      console.log(`\n${which} (replay: --seed ${seed} --path ${failing.counterexamplePath}):`)
      console.log(`  settings ${JSON.stringify(program.settings)}`)
      for (const step of [...program.steps].sort((x, y) => x.at - y.at))
        console.log(`  ${describeStep(step)}`)
    }
  }
} finally {
  await Promise.all(workers.map((worker) => worker.stop()))
  await system.stop()
}
console.log(`\n${runs} runs`)
console.log(`${operations} operations, ${violations} violations`)
process.exit(exitCode)
