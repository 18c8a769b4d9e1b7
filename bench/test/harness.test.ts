import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { BenchResults } from '../src/results'
import { linkUnavailable } from '../src/scenarios/link'

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url))
const out = mkdtempSync(join(tmpdir(), 'bench-harness-test-'))

afterAll(() => rmSync(out, { recursive: true, force: true }))

// The whole harness, as `npm run bench -- --quick --dry` runs it: real servers, tiny
// iteration counts, output to a temp dir (never bench/results or docs/).
describe('npm run bench -- --quick --dry', () => {
  it('runs every scenario against real servers and writes results, docs and charts', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--expose-gc', 'src/main.ts', '--quick', '--dry', '--out', out],
      { cwd: BENCH_DIR, encoding: 'utf8', timeout: 110_000 },
    )
    expect(run.status, run.stderr).toBe(0)

    const [resultsFile] = readdirSync(join(out, 'results'))
    expect(resultsFile).toMatch(/^\d{4}-\d{2}-\d{2}-dry\.json$/)
    const results = JSON.parse(
      readFileSync(join(out, 'results', resultsFile as string), 'utf8'),
    ) as BenchResults
    const { scenarios } = results
    expect(results.machine.valkey).toMatch(/^\d+\.\d+/)
    expect(results.machine.cores).toBeGreaterThan(0)

    // One process per contender: every cell of every contender measured, its own CPU time counted, hits only.
    expect(scenarios.l2HitPerProcess).toHaveLength(3 * 2 * 6)
    for (const cell of scenarios.l2HitPerProcess ?? []) {
      expect(cell.median.opsPerSec, cell.name).toBeGreaterThan(0)
      expect(cell.median.cpuUs, cell.name).toBeGreaterThan(0)
      expect(cell.originCalls, cell.name).toBe(0)
    }

    // The shaped link ran (one rate and unshaped, 10 and 100 KiB, every library) where it can, and was
    // removed afterwards; elsewhere the results say why it was skipped.
    const link = scenarios.shapedLink
    if (linkUnavailable() === undefined) {
      expect(link?.skipped).toBeUndefined()
      expect(link?.cells).toHaveLength(2 * 2 * 5)
      for (const cell of link?.cells ?? []) {
        expect(cell.median.opsPerSec, cell.name).toBeGreaterThan(0)
        expect(cell.originCalls, cell.name).toBe(0)
      }
      // The floor moves the whole document per hit; core's compressed entry is smaller.
      const bytesAt = (id: string, size: number) =>
        link?.cells.find((c) => c.contender === id && c.sizeKiB === size)?.bytesPerHit ?? Number.NaN
      const doc100 = results.documents.find((d) => d.sizeKiB === 100)?.bytes ?? Number.POSITIVE_INFINITY
      expect(bytesAt('raw', 100)).toBeGreaterThanOrEqual(doc100)
      expect(bytesAt('core', 100)).toBeLessThan(doc100 / 2)
      expect(link?.qdiscs.map((q) => q.qdisc.startsWith('qdisc tbf'))).toEqual([true, false])
      expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toMatch(
        new RegExp(`^vsc-bench-${run.pid}\\b`, 'm'),
      )
    } else expect(link?.skipped).toBe(linkUnavailable())

    // Every L2 contender measured every cell, and only hits (no S3 call during the rounds).
    expect(scenarios.l2Hit).toHaveLength(3 * 2 * 9)
    for (const cell of scenarios.l2Hit ?? []) {
      expect(cell.median.opsPerSec, cell.name).toBeGreaterThan(0)
      expect(cell.originCalls, cell.name).toBe(0)
    }
    expect(scenarios.l1Hit?.every((c) => c.originCalls === 0 && c.median.p50Us > 0)).toBe(true)
    expect(scenarios.origin?.length).toBe(3)

    // Cross-process stampede: core loads once; every library answered every read.
    const stampede = Object.fromEntries((scenarios.stampede ?? []).map((s) => [s.contender, s]))
    expect(stampede.core?.trials.map((t) => t.total)).toEqual([1])
    for (const s of scenarios.stampede ?? []) expect(s.trials[0]?.errors, s.name).toBe(0)

    // One GET per hit for core; bytes measured for both sizes.
    const core = scenarios.roundTrips?.find((r) => r.contender === 'core')
    expect(core?.hit).toMatchObject({ commands: 1, sent: 1, byCommand: { get: 1 } })
    // The same on a GLIDE client, and the raw GLIDE floor.
    for (const id of ['core-glide', 'glide'])
      expect(scenarios.roundTrips?.find((r) => r.contender === id)?.hit, id).toMatchObject({
        commands: 1,
        sent: 1,
        byCommand: { get: 1 },
      })
    expect(scenarios.bytes?.filter((b) => b.contender === 'core').map((b) => b.sizeKiB)).toEqual([10, 100])
    expect(scenarios.bytes?.filter((b) => !(b.bytesPerHit > 0 && b.strlen > 0))).toEqual([])

    expect(scenarios.coldStart?.imports.every((i) => i.medianImportMs > 0)).toBe(true)
    expect(scenarios.coldStart?.imports.map((i) => i.name)).toContain('iovalkey alone')
    // The first cached read of a fresh process, for core and the raw floor.
    expect(scenarios.coldStart?.firstRequest?.core.medianMs).toBeGreaterThan(0)
    expect(scenarios.coldStart?.firstRequest?.raw.medianMs).toBeGreaterThan(0)
    expect(scenarios.coldStart?.firstRequest?.coreKnownMode?.medianMs).toBeGreaterThan(0)
    // The fixture handlers bundle (examples/api belongs to someone else and may be mid-edit).
    const bundles = scenarios.coldStart?.bundles.filter((b) => b.entry.startsWith('bench/fixtures/')) ?? []
    expect(bundles.map((b) => [b.name, b.error ?? 'ok'])).toEqual(
      ['raw iovalkey', 'core', 'core on GLIDE', 'bentocache', 'cache-manager', 'cachified'].map((name) => [
        name,
        'ok',
      ]),
    )
    // core's bundle holds no GLIDE file (a run-time import); a GLIDE deployment's node_modules were measured.
    expect(bundles.find((b) => b.name === 'core')?.bundlesGlide).toBe(false)
    expect(scenarios.coldStart?.glideInstall?.glidePackages[0]?.bytes).toBeGreaterThan(0)

    // Hot key: every library and core with shareParsed, at 1 and 10 KiB, hits only; core coalesces a batch into one GET.
    const hot = scenarios.hotKey
    expect(hot?.cells).toHaveLength(8 * 2)
    for (const cell of hot?.cells ?? []) {
      expect(cell.readsPerSec, cell.name).toBeGreaterThan(0)
      expect(cell.originCalls, cell.name).toBe(0)
    }
    for (const counted of hot?.commands.filter((c) => c.contender.startsWith('core')) ?? [])
      expect(counted).toMatchObject({ perBatch: 1, byCommand: { get: 1 } })

    // Codecs: every size and codec measured, core's default choice recorded.
    const codecs = scenarios.codecs
    expect(codecs?.sizes.map((s) => s.sizeKiB)).toEqual([1, 2, 4, 10, 32, 64, 100, 1000])
    expect(codecs?.sizes.map((s) => s.autoPick)).toEqual([
      'none',
      'deflate',
      'deflate',
      'deflate',
      'deflate',
      'zstd',
      'zstd',
      'zstd',
    ])
    for (const size of codecs?.sizes ?? []) {
      expect(size.codecs.map((c) => c.codec)).toEqual(['none', 'deflate', 'gzip', 'zstd'])
      for (const c of size.codecs.filter((x) => x.available)) {
        expect(c.storedBytes, `${size.sizeKiB} ${c.codec}`).toBeGreaterThan(0)
        expect(c.ecpuPerHit).toBeGreaterThanOrEqual(1)
        expect(c.decompressUs).toBeGreaterThanOrEqual(0)
      }
    }

    // Tags: a hit is still one GET; removals remove every member; the sets were measured.
    const tags = scenarios.tags
    const counted = Object.fromEntries((tags?.commands ?? []).map((c) => [c.id, c]))
    for (const id of ['hit-tagged', 'hit-dependencies'])
      expect(counted[id], id).toMatchObject({ commands: 1, sent: 1, byCommand: { get: 1 } })
    for (const id of [
      'miss-object',
      'miss-wrap-1-tag',
      'miss-wrap-3-tags',
      'miss-wrap-dependencies',
      'put-1-tag',
    ])
      expect(counted[id]?.commands, id).toBeGreaterThan(1)
    // Tags are paid at write time, per tag: two more tags, at least one more script each (background
    // sweeps, 1 in 16 enlistings, add a random fraction to both rows).
    expect(counted['miss-wrap-3-tags']?.byCommand.evalsha).toBeGreaterThanOrEqual(
      (counted['miss-wrap-1-tag']?.byCommand.evalsha ?? Number.POSITIVE_INFINITY) + 2,
    )
    expect(counted['invalidate-tags']?.members).toBe(10)
    expect(counted['invalidate-dependents']?.perMember?.sent).toBeGreaterThanOrEqual(1)
    expect(tags?.memory.map((m) => m.members)).toEqual([10, 100])
    for (const m of tags?.memory ?? []) {
      expect(m.tagBytesPerMember).toBeGreaterThan(0)
      expect(m.dependentBytesPerMember).toBeGreaterThan(0)
    }
    expect(tags?.tagLog.bytesPerTag).toBeGreaterThan(0)
    expect(tags?.invalidations.every((i) => i.medianMs > 0)).toBe(true)
    expect(tags?.hits.map((c) => c.contender)).toEqual(['core-wrap', 'core-wrap-tags', 'core-wrap-deps'])
    expect(tags?.hits.every((c) => c.originCalls === 0 && c.median.p50Us > 0)).toBe(true)

    const docs = readFileSync(join(out, 'docs', 'benchmarks.md'), 'utf8')
    for (const heading of [
      '## Targets',
      '## 1. L2 hit',
      '## 3. Stampede',
      '## 6. Cold start',
      '## 7. Origin',
      '## 8. Hot key',
      '## 9. Compression codecs',
      '## 10. Tags and dependencies',
      '## 11. Shaped link',
      '### One process per contender',
      'raw GLIDE',
      'core on GLIDE',
      'What a GLIDE deployment carries',
    ])
      expect(docs).toContain(heading)
    const charts = ['l2-per-process-throughput.svg', 'l2-throughput.svg', 'l2-latency.svg', 'l1-latency.svg']
    if (!link?.skipped) charts.push('shaped-link.svg')
    for (const chart of [...charts, 'bytes-per-hit.svg']) {
      const svg = readFileSync(join(out, 'docs', 'benchmarks', chart), 'utf8')
      expect(svg.startsWith('<svg'), chart).toBe(true)
      expect(docs).toContain(`benchmarks/${chart}`)
    }
    expect(existsSync(join(BENCH_DIR, 'results', resultsFile as string))).toBe(false)
  }, 120_000)
})
