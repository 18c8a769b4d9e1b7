import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { ModeSummary } from '../src/coherence/summary'

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url))
const out = mkdtempSync(join(tmpdir(), 'bench-coherence-test-'))

afterAll(() => rmSync(out, { recursive: true, force: true }))

// The whole benchmark, as `npm run bench:coherence -- --dry` runs it (1 s per mode): real servers, four
// processes per mode, output to a temp dir (never bench/results). Counts only, no timings.
describe('npm run bench:coherence -- --dry', () => {
  it('measures every mode: coherent L1 answers no stale read, one message per write', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/coherence/main.ts', '--dry', '--out', out],
      {
        cwd: BENCH_DIR,
        encoding: 'utf8',
        timeout: 210_000,
      },
    )
    expect(run.status, run.stderr).toBe(0)

    const [file] = readdirSync(out)
    expect(file).toMatch(/^coherence-\d{4}-\d{2}-\d{2}-dry\.json$/)
    const results = JSON.parse(readFileSync(join(out, file as string), 'utf8')) as { modes: ModeSummary[] }
    const modes = new Map(results.modes.map((m) => [m.mode, m]))
    expect([...modes.keys()]).toEqual([
      'l2',
      'l1-coherent',
      'l1-coherent-1m',
      'l1-coherent-5s',
      'l1-ttl-only',
    ])
    // The table on stdout has a row per mode.
    for (const name of modes.keys()) expect(run.stdout).toContain(`| \`${name}\` |`)

    for (const mode of results.modes) {
      expect(mode.reads, mode.mode).toBeGreaterThan(0)
      expect(mode.writes, mode.mode).toBeGreaterThan(0)
      expect(mode.failedWrites, mode.mode).toBe(0)
      expect(mode.readsPerSecPerProcess, mode.mode).toHaveLength(4)
      // Every read answered a version the seed or some write produced.
      expect(mode.stale.unknown, mode.mode).toBe(0)
    }
    // Without L1 nothing is answered from it; with L1 the objects it holds are counted and weighed.
    expect(modes.get('l2')?.l1HitRatio).toBe(0)
    expect(modes.get('l2')?.l1Entries).toBe(0)
    for (const name of ['l1-coherent', 'l1-coherent-1m', 'l1-coherent-5s', 'l1-ttl-only'] as const) {
      const mode = modes.get(name) as ModeSummary
      expect(mode.l1HitRatio, name).toBeGreaterThan(0)
      expect(mode.l1Entries, name).toBeGreaterThan(0)
      expect(mode.l1Entries, name).toBeLessThanOrEqual(1000)
      expect(mode.bytesPerL1Entry, name).toBeDefined()
    }
    // Coherence on: each write is published (one message, or two when a tick's batching splits them);
    // the subscribers drop what others changed, so no read answers a version superseded
    // more than one delivery and the model's slack (150 ms) before it began.
    for (const name of ['l2', 'l1-coherent', 'l1-coherent-1m', 'l1-coherent-5s'] as const) {
      const mode = modes.get(name) as ModeSummary
      expect(mode.messagesPerWrite, name).toBeGreaterThanOrEqual(1)
      expect(mode.messagesPerWrite, name).toBeLessThanOrEqual(2)
    }
    for (const name of ['l1-coherent', 'l1-coherent-1m', 'l1-coherent-5s'] as const) {
      const stale = modes.get(name)?.stale
      expect(stale?.stale, `${name}: ${JSON.stringify(stale?.examples)}`).toBe(0)
    }
    // Coherence off: nothing is published.
    expect(modes.get('l1-ttl-only')?.messages).toBe(0)
  }, 220_000)
})
