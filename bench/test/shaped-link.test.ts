import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { linkUnavailable } from '../src/scenarios/link'

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url))
const out = mkdtempSync(join(tmpdir(), 'bench-shaped-link-test-'))

afterAll(() => rmSync(out, { recursive: true, force: true }))

const namespaces = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? ''
/** Running (not exited, and not an exited process its new parent has yet to reap). */
const running = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'
  } catch {
    return false
  }
}

/** Those of `pids` still running once they all stopped, or 5 s passed (SIGKILL lands asynchronously). */
async function stillRunning(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 50 && pids.some(running); i++) await new Promise((r) => setTimeout(r, 100))
  return pids.filter(running)
}

describe('npm run bench -- --only shapedLink', () => {
  const unavailable = linkUnavailable()
  if (unavailable) {
    it(`says why it cannot build the link (${unavailable}) and runs nothing`, () => {
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/main.ts', '--quick', '--dry', '--only', 'shapedLink', '--out', out],
        { cwd: BENCH_DIR, encoding: 'utf8', timeout: 60_000 },
      )
      expect(run.status, run.stderr).toBe(0)
      expect(run.stderr).toContain(`skipped: the shaped link ${unavailable}`)
    }, 70_000)
    return
  }

  // Ctrl-C mid-run: the namespace, its veth pair and the valkey-server inside are gone afterwards.
  it('removes the namespace, the veth pair and the server inside when interrupted', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--expose-gc',
        'src/main.ts',
        '--quick',
        '--dry',
        '--only',
        'shapedLink',
        '--out',
        out,
      ],
      { cwd: BENCH_DIR, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    )
    // Interrupted once the contenders are measuring through the shaped link.
    const namespace = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        const name = /link: namespace (\S+),/.exec(stderr)?.[1]
        if (name && /500 Mbit\/s: qdisc tbf/.test(stderr)) resolve(name)
      })
      void exited.then(() => reject(new Error(`exited before measuring:\n${stderr}`)))
    })
    const inside = (spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' }).stdout ?? '')
      .split('\n')
      .filter(Boolean)
      .map(Number)
    expect(inside.length, 'the valkey-server inside').toBeGreaterThan(0)
    child.kill('SIGINT')
    expect(await exited).toBe('SIGINT')
    expect(namespaces()).not.toMatch(new RegExp(`^${namespace}\\b`, 'm'))
    const veth = `vscb${child.pid}h`
    expect(spawnSync('ip', ['link', 'show', veth]).status, veth).not.toBe(0)
    expect(await stillRunning(inside)).toEqual([])
  }, 90_000)
})
