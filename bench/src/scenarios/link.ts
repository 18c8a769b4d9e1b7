import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { findValkeyServer, makeTempDir } from '@valkey-s3-cache/testkit'

/** Namespaces this module creates are named `<prefix><pid>`, so a later run can remove a dead run's. */
const PREFIX = 'vsc-bench-'
const VALKEY_PORT = 6379
const READY_LINE = /Ready to accept connections/
const START_TIMEOUT_MS = 15_000

/** Why a shaped link cannot be built on this machine, or `undefined` when it can. */
export function linkUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (network namespaces, veth, tc)'
  if (process.getuid?.() !== 0) return 'needs root (ip netns, ip link, tc qdisc)'
  for (const command of ['ip', 'tc']) {
    const run = spawnSync(command, ['-V'], { encoding: 'utf8' })
    if (run.error || run.status !== 0) return `needs \`${command}\` (iproute2) on PATH`
  }
  if (!findValkeyServer()) return 'needs valkey-server'
  return undefined
}

/** Runs `ip`/`tc` and throws with its stderr when it fails. */
function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.error || result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error}`)
}

/** The same, ignoring failure (clean-up of what may not exist). */
function attempt(command: string, args: string[]): void {
  spawnSync(command, args, { stdio: 'ignore' })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Removes what earlier runs whose process is gone left: the server inside, the veth pair, the namespace. */
function removeStale(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? ''
  for (const match of list.matchAll(new RegExp(`^${PREFIX}(\\d+)`, 'gm'))) {
    const pid = Number(match[1])
    if (pid !== process.pid && !alive(pid)) {
      const inside = spawnSync('ip', ['netns', 'pids', `${PREFIX}${pid}`], { encoding: 'utf8' }).stdout ?? ''
      for (const server of inside.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(server), 'SIGKILL')
        } catch {
          // gone meanwhile
        }
      }
      attempt('ip', ['link', 'del', `vscb${pid}h`])
      attempt('ip', ['netns', 'del', `${PREFIX}${pid}`])
    }
  }
}

/**
 * The token bucket of one direction: `rate` Mbit/s, a bucket of 1 ms at that rate (at least 128 KiB)
 * and up to 100 ms of queue before drops: a bare client reading 100 KiB values 64 at a time gets
 * 90–95 % of each rate through it (a 20 ms queue dropped enough to leave 84 % at 2 Gbit/s).
 */
export function tbfArgs(mbit: number): string[] {
  const burst = Math.max(128 * 1024, Math.ceil((mbit * 1e6) / 8 / 1000))
  return ['rate', `${mbit}mbit`, 'burst', String(burst), 'latency', '100ms']
}

export interface ShapedLink {
  namespace: string
  /** The server's address (inside the namespace) and port. */
  host: string
  port: number
  /** Shapes both ends' egress to `mbit` Mbit/s (`null`: no qdisc, the same path unshaped); returns the qdisc as `tc` shows it. */
  shape(mbit: number | null): string
  close(): void
}

/**
 * A veth pair from this network namespace into a fresh one, with a valkey-server of its own inside,
 * bound to the far end's address: every byte between clients here and that server crosses the pair,
 * whose egress on both ends `shape` limits with a `tbf` qdisc. The namespace, the pair and the server
 * go away on `close`, on process exit and on SIGINT/SIGTERM/SIGHUP (Ctrl-C mid-run included).
 */
export async function createShapedLink(log: (line: string) => void): Promise<ShapedLink> {
  removeStale()
  const pid = process.pid
  const namespace = `${PREFIX}${pid}`
  // Interface names are limited to 15 characters.
  const hostIf = `vscb${pid}h`
  const farIf = `vscb${pid}n`
  // A /30 of 10.213.0.0/16 picked by pid, so two runs on one machine do not collide.
  const block = (pid % 16_384) * 4
  const net = `10.213.${Math.floor(block / 256)}`
  const hostAddress = `${net}.${(block % 256) + 1}`
  const host = `${net}.${(block % 256) + 2}`
  let server: ChildProcess | undefined
  let dir: string | undefined
  let closed = false
  const cleanup = () => {
    if (closed) return
    closed = true
    server?.kill('SIGKILL')
    attempt('ip', ['link', 'del', hostIf])
    attempt('ip', ['netns', 'del', namespace])
    if (dir) rmSync(dir, { recursive: true, force: true })
    process.off('exit', cleanup)
    for (const signal of SIGNALS) process.off(signal, onSignal)
  }
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup()
    // The signal's default action (exit), unless another listener (the testkit's) still handles it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  }
  process.once('exit', cleanup)
  for (const signal of SIGNALS) process.once(signal, onSignal)
  const inside = (...args: string[]) => run('ip', ['netns', 'exec', namespace, ...args])
  try {
    run('ip', ['netns', 'add', namespace])
    run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', farIf])
    run('ip', ['link', 'set', farIf, 'netns', namespace])
    run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf])
    run('ip', ['link', 'set', hostIf, 'up'])
    inside('ip', 'addr', 'add', `${host}/30`, 'dev', farIf)
    inside('ip', 'link', 'set', farIf, 'up')
    inside('ip', 'link', 'set', 'lo', 'up')
    // The server's sockets keep their congestion window while a contender waits for its turn: each
    // sample then measures the link, not TCP's restart after the idle time (a per-namespace setting).
    attempt('ip', ['netns', 'exec', namespace, 'sysctl', '-q', '-w', 'net.ipv4.tcp_slow_start_after_idle=0'])
    dir = makeTempDir('valkey-link')
    server = await startServerInside(namespace, host, dir)
    log(
      `  link: namespace ${namespace}, veth ${hostIf} (${hostAddress}) ↔ ${farIf} (${host}), valkey-server inside on port ${VALKEY_PORT}`,
    )
  } catch (error) {
    cleanup()
    throw error
  }
  return {
    namespace,
    host,
    port: VALKEY_PORT,
    shape(mbit) {
      // Both directions: replies leave the namespace's end, requests this one's.
      const ends: [string[], string][] = [
        [['tc'], hostIf],
        [['ip', 'netns', 'exec', namespace, 'tc'], farIf],
      ]
      for (const [[command, ...prefix], device] of ends) {
        if (mbit === null) attempt(command as string, [...prefix, 'qdisc', 'del', 'dev', device, 'root'])
        else
          run(command as string, [
            ...prefix,
            'qdisc',
            'replace',
            'dev',
            device,
            'root',
            'tbf',
            ...tbfArgs(mbit),
          ])
      }
      const shown = spawnSync('tc', ['qdisc', 'show', 'dev', hostIf], { encoding: 'utf8' }).stdout ?? ''
      return shown.trim().split('\n')[0] ?? ''
    },
    close: cleanup,
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** `ip netns exec <ns> valkey-server …` (the server becomes the child itself), resolved once it accepts connections. */
function startServerInside(namespace: string, host: string, dir: string): Promise<ChildProcess> {
  const binary = findValkeyServer() as string
  // The testkit's settings: no persistence, logs on stdout.
  const args = [
    '--port',
    String(VALKEY_PORT),
    '--bind',
    host,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'no',
  ]
  const child = spawn('ip', ['netns', 'exec', namespace, binary, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error('valkey-server in the namespace did not start')),
      START_TIMEOUT_MS,
    )
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (!READY_LINE.test(output)) return
      clearTimeout(timer)
      child.off('exit', onExit)
      child.stdout?.off('data', onData)
      // Keep draining, so a chatty server never blocks on a full pipe.
      child.stdout?.resume()
      child.stderr?.resume()
      resolve(child)
    }
    const onExit = (code: number | null) =>
      fail(new Error(`valkey-server in the namespace exited with ${code}`))
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${error.message}\n${output}`))
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('exit', onExit)
  })
}
