// `npm run demo`, as a user runs it: a child process that must print the table and exit 0.
import { execFileSync, spawn } from 'node:child_process'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

function runDemo(
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'demo'], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
    })
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The table's row for a request label: its cells, split on the column gaps. */
function row(stdout: string, label: string): string[] {
  const line = stdout.split('\n').find((text) => text.includes(` ${label} `))
  return line?.trim().split(/\s{2,}/) ?? []
}

/** A row's status, x-cache and answer (the number, label and latency left out). */
const cells = (cells: string[]) => [cells[2], cells[3], cells[5]]

function expectTheTable(stdout: string): void {
  expect(stdout).toMatch(/#\s+request\s+status\s+x-cache\s+latency\s+answer/)
  expect(row(stdout, 'docs/welcome.json').slice(2, 4)).toEqual(['200', 'MISS'])
  expect(row(stdout, 'docs/welcome.json again').slice(2, 4)).toEqual(['200', 'HIT'])
  expect(row(stdout, 'docs/welcome.json + If-None-Match')[2]).toBe('304')
  // config/feature-flags.json changes in S3; the S3 event purges the stored response built from it.
  const flags = 'config/feature-flags.json'
  const before = '{"newCheckout":true,"darkMode":false}'
  const after = '{"newCheckout":true,"darkMode":true}'
  expect(row(stdout, flags)).toEqual([expect.any(String), flags, '200', 'MISS', expect.any(String), before])
  expect(cells(row(stdout, `${flags} again`))).toEqual(['200', 'HIT', before])
  expect(cells(row(stdout, `S3 PutObject ${flags}`))).toEqual([
    '-',
    '-',
    'ObjectCreated:Put → invalidator: applied 1, failed 0',
  ])
  expect(cells(row(stdout, `${flags} after the put`))).toEqual(['200', 'MISS', after])
  expect(cells(row(stdout, `${flags} once more`))).toEqual(['200', 'HIT', after])
  const order = [
    flags,
    `${flags} again`,
    `S3 PutObject ${flags}`,
    `${flags} after the put`,
    `${flags} once more`,
  ]
  expect(order.map((label) => Number(row(stdout, label)[0]))).toEqual([5, 6, 7, 8, 9])
  expect(row(stdout, 'docs/missing.json')[2]).toBe('404')
  expect(row(stdout, '../secrets.json')[2]).toBe('400')
  expect(row(stdout, 'docs/welcome.json, no x-api-key')).toContain('Forbidden')
  expect(row(stdout, 'docs/welcome.json, no x-api-key')[2]).toBe('403')
  expect(row(stdout, 'OPTIONS (CORS preflight), no key')[2]).toBe('204')
  expect(row(stdout, 'trial key #3, same second')).toContain('Too Many Requests')
  expect(row(stdout, 'trial key #5, quota 3/day')).toContain('Limit Exceeded')
  expect(stdout).not.toContain('✗ expected')
  // welcome, pricing, the feature flags before and after the change, and the 404: the change cost one read.
  expect(stdout).toContain('S3 GetObject calls: 5, for 18 requests (13 reached the function;')
}

describe('npm run demo', () => {
  it('starts S3, valkey-server and the gateway, prints the table and exits 0', {
    timeout: 90_000,
  }, async () => {
    const { code, stdout, stderr } = await runDemo()
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/• Valkey… valkey-server on port \d+/)
    expectTheTable(stdout)
    expect(stdout).toMatch(/store: valkey-server on port \d+/)
  })

  it('falls back to the embedded memory store when no valkey-server can be found', {
    timeout: 90_000,
  }, async () => {
    // testkit's findValkeyServer uses $VALKEY_SERVER when set, and it is not executable.
    const { code, stdout, stderr } = await runDemo({ VALKEY_SERVER: '/nonexistent/valkey-server' })
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('no valkey-server found ($VALKEY_SERVER, PATH): using the embedded memory store')
    expectTheTable(stdout)
    expect(stdout).toContain('store: embedded memory store')
    expect(stderr).not.toContain('VALKEY_S3_CACHE_MEMORY_STORE')
  })
})

/** Whether something accepts connections on a loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

describe('the demo with --serve', () => {
  it('serves until SIGINT, then stops the gateway, valkey-server and S3, and exits 0', {
    timeout: 90_000,
  }, async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'examples/local/src/demo.ts', '--serve', '--port', '0'],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not ready:\n${stdout}`)), 60_000)
        child.stdout.on('data', () => {
          if (stdout.includes('Ctrl-C stops.')) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      const url = /curl -i -X POST (\S+)\/objects/.exec(stdout)?.[1] ?? ''
      const ports = [
        /valkey-server on port (\d+)/,
        /S3 server \(s3rver\)… http:\/\/127\.0\.0\.1:(\d+)/,
        /:(\d+)\/local/,
      ].map((pattern) => Number(pattern.exec(stdout)?.[1]))
      expect(
        ports.every((port) => port > 0),
        stdout,
      ).toBe(true)
      const response = await fetch(`${url}/objects`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'demo-standard-key-0123456789' },
        body: '{"key":"docs/pricing.json"}',
      })
      expect(response.status).toBe(200)
      expect(await listening(ports[0] as number)).toBe(true)

      child.kill('SIGINT')
      expect(await exited).toBe(0)
      expect(stdout).toContain('POST /local/objects → 200 MISS')
      expect(stdout).toContain('SIGINT: stopping…')
      expect(stdout).toContain('stopped.')
      for (const port of ports) expect(await listening(port), `port ${port}`).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

interface Proc {
  pid: number
  ppid: number
  state: string
  args: string
}

/** Every process on the machine (`ps`), zombies marked by their state. */
function processes(): Proc[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const [pid, ppid, state, ...args] = line.trim().split(/\s+/)
      return { pid: Number(pid), ppid: Number(ppid), state: String(state), args: args.join(' ') }
    })
}

/** The processes below `root`, found by walking parent links. */
function descendants(root: number): Proc[] {
  const all = processes()
  const found: Proc[] = []
  const queue = [root]
  while (queue.length > 0) {
    const parent = queue.shift()
    for (const proc of all.filter((p) => p.ppid === parent)) {
      found.push(proc)
      queue.push(proc.pid)
    }
  }
  return found
}

const running = (pids: number[]) =>
  processes().filter((p) => pids.includes(p.pid) && !p.state.startsWith('Z'))

describe('npm run demo -- --serve, stopped by a signal to any of its processes', () => {
  const targets = [
    ['SIGTERM', 'npm'],
    ['SIGINT', 'npm'],
    ['SIGTERM', 'tsx'],
    ['SIGTERM', 'node'],
    // No process can pass SIGKILL on: the demo sees its launcher gone and stops by itself.
    ['SIGKILL', 'tsx'],
  ] as const
  it.each(targets)(
    '%s to %s leaves no npm, tsx, node or valkey-server behind',
    {
      timeout: 90_000,
    },
    async (signal, target) => {
      // Its own process group, as a terminal starts it: npm is the group's leader.
      const npm = spawn('npm', ['run', 'demo', '--', '--serve', '--port', '0'], {
        cwd: repoRoot,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      npm.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk
      })
      npm.stderr.resume()
      const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()))
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`not ready:\n${stdout}`)), 60_000)
          npm.stdout.on('data', () => {
            if (stdout.includes('Ctrl-C stops.')) {
              clearTimeout(timer)
              resolve()
            }
          })
        })
        const tree = descendants(npm.pid as number)
        const tsx = tree.find((p) => /node_modules\/\.bin\/tsx /.test(p.args))
        const node = tree.find((p) => p.ppid === tsx?.pid && /demo\.ts/.test(p.args))
        const valkey = tree.find((p) => /valkey-server/.test(p.args) && p.ppid === node?.pid)
        expect([tsx, node, valkey].every(Boolean), JSON.stringify(tree, null, 1)).toBe(true)

        const pid = { npm: npm.pid as number, tsx: tsx?.pid as number, node: node?.pid as number }[target]
        process.kill(pid, signal)
        await exited
        const pids = [npm.pid as number, ...tree.map((p) => p.pid)]
        for (let i = 0; i < 100 && running(pids).length > 0; i++) await sleep(100)
        expect(running(pids).map((p) => `${p.pid} ${p.args}`)).toEqual([])
      } finally {
        try {
          process.kill(-(npm.pid as number), 'SIGKILL') // whatever the demo left in its group
        } catch {
          // the group is empty: nothing was left
        }
      }
    },
  )
})
