// `npm test` runs the invariant checker for a short budget on every configuration (both stores, the
// three clients, both engines; L1 in every worker or in some), and proves it can fail: a worker that answers from a map no change
// reaches must be caught. A long run's figures are in docs/reliability.md.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../', import.meta.url))
const SECONDS = Number(process.env.CHECK_INVARIANTS_SECONDS ?? 8)

/** Runs the checker; resolves to its exit code, its last line's counts, and its output. */
async function check(args: string[]) {
  const { stdout, code } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    ({ stdout }) => ({ stdout, code: 0 }),
    (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', code: error.code ?? -1 }),
  )
  const last = /(\d+) operations, (\d+) violations\s*$/.exec(stdout)
  return { code, stdout, operations: Number(last?.[1] ?? 0), violations: Number(last?.[2] ?? -1) }
}

const configurations = ['standalone', 'cluster'].flatMap((store) =>
  ['iovalkey', 'glide', 'glide-bytes'].flatMap((client) =>
    // Valkey runs with L1 in every worker (only the change channel keeps them coherent), Redis mixed.
    ['valkey', 'redis'].map((engine) => ({
      store,
      client,
      engine,
      l1: engine === 'valkey' ? 'all' : 'mixed',
    })),
  ),
)

describe('check:invariants', () => {
  for (const { store, client, engine, l1 } of configurations) {
    it(`${store}, ${client}, ${engine}, L1 ${l1}: ${SECONDS} s with no violation`, {
      timeout: (SECONDS + 120) * 1000,
    }, async () => {
      const result = await check([
        '--seconds',
        String(SECONDS),
        '--store',
        store,
        '--client',
        client,
        '--engine',
        engine,
        '--l1',
        l1,
        '--shrink-seconds',
        '30',
      ])
      // The run's settings line, the violations (with the seed to replay) and the last lines.
      const lines = result.stdout.trim().split('\n')
      const found = lines.findIndex((line) => /^(violations \(|the runner failed)/.test(line))
      console.log(
        [lines[0], ...(found < 0 ? [] : lines.slice(found, found + 12)), ...lines.slice(-3)].join('\n'),
      )
      expect(result.violations).toBe(0)
      expect(result.code).toBe(0)
      // Not an empty run: calls were made and judged.
      expect(result.operations).toBeGreaterThan(50)
    })
  }

  it('catches a cache that serves what no change reaches (the checker can fail)', {
    timeout: 200_000,
  }, async () => {
    const result = await check([
      '--seconds',
      '40',
      '--seed',
      '7',
      '--sabotage',
      'stale-reads',
      '--shrink-seconds',
      '5',
    ])
    expect(result.violations).toBeGreaterThan(0)
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/\[object read\] read .* older than v\d+/)
  })
})
