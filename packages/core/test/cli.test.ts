import { createServer, type Server, type Socket } from 'node:net'
import { type S3Server, startS3, startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Cache, type ReadStatus } from '../src'
import { progressDisplay } from '../src/cli/format'
import { forEachConcurrent } from '../src/concurrency'
import { runCli, runEach, s3Env } from './support/cli'
import { putRaw } from './support/harness'

// Each run starts a Node process with tsx: slow on a loaded machine, hence the longer timeout.
describe('the valkey-s3-cache CLI, as a child process', { timeout: 120_000 }, () => {
  let s3: S3Server
  let server: ValkeyServer
  let env: Record<string, string>
  const keys = Array.from({ length: 40 }, (_, i) => `cli/doc ${i}.json`)

  beforeAll(async () => {
    s3 = await startS3()
    server = await startValkey()
    env = { ...s3Env(s3.endpoint), VALKEY_URL: server.url, VALKEY_KEY_PREFIX: 'cli:' }
    await forEachConcurrent(keys, 8, (key) => putRaw(s3, key, JSON.stringify({ key, pad: 'x'.repeat(3000) })))
  })
  afterAll(async () => {
    await server?.stop()
    await s3?.stop()
  })

  it('prints help for the CLI and for each command, exit 0', async () => {
    const commands = ['warm', 'inspect', 'invalidate', 'stats']
    const runs = await runEach([['--help'], ...commands.map((command) => [command, '--help'])])
    for (const run of runs) expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(runs[0]?.stdout).toMatch(
      /Usage: valkey-s3-cache <command>[\s\S]*warm[\s\S]*inspect[\s\S]*invalidate[\s\S]*stats/,
    )
    expect(runs[1]?.stdout).toMatch(
      /Usage: valkey-s3-cache warm <bucket> \[options\][\s\S]*--prefix <prefix>[\s\S]*--concurrency <n>/,
    )
    for (const flag of ['--ttl <duration>', '--stale-ttl <duration>', '--max-object-bytes <bytes>'])
      expect(runs[1]?.stdout).toMatch(new RegExp(`^ {2}${flag} +\\S`, 'm'))
    expect(runs[2]?.stdout).toContain(
      'Usage: valkey-s3-cache inspect <bucket> <key> [options]\n       valkey-s3-cache inspect s3://<bucket>/<key> [options]\n',
    )
    expect(runs[3]?.stdout).toContain(
      'Usage: valkey-s3-cache invalidate <bucket> <key>… [options]\n       valkey-s3-cache invalidate s3://<bucket>/<key>… [options]\n',
    )
    expect(runs[3]?.stdout).toContain(
      '       valkey-s3-cache invalidate --tag <tag> [--tag <tag>]… [options]',
    )
    expect(runs[3]?.stdout).toMatch(
      /^ {2}--tag <tag> +remove the entries carrying this tag; repeat for several$/m,
    )
    expect(runs[4]?.stdout).toMatch(/no hit or miss counters in Valkey/)
  })

  it('rejects bad input with one line and exit 2, before connecting', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['warm', 'b-1', '--frob'], /warm: unknown flag --frob/],
      [['warm', 'b-1', '--concurrency', 'lots'], /--concurrency must be an integer from 1 to 1000/],
      [
        ['warm', 'b-1', '--ttl', 'soon'],
        /warm: bad --ttl "soon": expected a number of ms or a string like '30s' \(see/,
      ],
      [['warm', 'b-1', '--ttl', '0'], /warm: bad --ttl "0": expected more than 0 ms/],
      [
        ['warm', 'b-1', '--stale-ttl', '400d'],
        /warm: bad --stale-ttl "400d": expected at most 31536000000 ms/,
      ],
      [
        ['warm', 'b-1', '--max-object-bytes', '1.5'],
        /warm: bad --max-object-bytes "1.5": expected an integer from 0 to 536870912/,
      ],
      [['warm', 'b-1', '--max-object-bytes', '1073741824'], /warm: bad --max-object-bytes "1073741824"/],
      [
        ['warm', 's3://b-1/docs/'],
        /warm: "s3:\/\/b-1\/docs\/" is an S3 URI, not a bucket name: give the bucket name "b-1" and --prefix "docs\/"/,
      ],
      [
        ['inspect', 'b-1'],
        /inspect: missing <key>: expected <bucket> <key> \(an S3 key after the bucket\), or s3:/,
      ],
      [['inspect'], /inspect: missing <bucket> <key> or s3:\/\/<bucket>\/<key> \(see/],
      [['inspect', 's3://b-1/a', 's3://b-1/b'], /inspect: unexpected argument "s3:\/\/b-1\/b"/],
      [['invalidate'], /invalidate: missing <bucket> <key…>, s3:\/\/<bucket>\/<key>… or --tag <tag>/],
      [
        ['invalidate', 'b-1'],
        /invalidate: missing <key…>: expected <bucket> <key>… \(S3 keys after the bucket\), or s3:\/\/<bucket>\/<key>…/,
      ],
      [
        ['invalidate', 's3://b-1'],
        /invalidate: "s3:\/\/b-1" names no key: an S3 URI is s3:\/\/<bucket>\/<key>/,
      ],
      [['invalidate', 's3://b-1/'], /invalidate: "s3:\/\/b-1\/" names no key/],
      [['invalidate', 's3:///k'], /invalidate: "s3:\/\/\/k" names no bucket/],
      [
        ['invalidate', 's3://b-1/a', 's3://b-2/b'],
        /the S3 URIs name 2 buckets \(b-1, b-2\): run it once per bucket/,
      ],
      [['invalidate', 's3://b-1/a', 'b'], /invalidate: "b" is not an S3 URI: give either s3:/],
      [['invalidate', 's3://bad_bucket!/a'], /invalidate: bad bucket name "bad_bucket!"/],
      [['invalidate', 'b-1', '--tag', 'red'], /invalidate: --tag cannot be combined with <bucket> or <key…>/],
      [
        ['invalidate', '--tag', 'red', s3.bucket, 'k'],
        /invalidate: --tag cannot be combined with <bucket> or <key…> arguments, got ".* k"/,
      ],
      [['invalidate', '--tag', 'red', '--tag', ''], /invalidate: bad tag "": tag must be a non-empty string/],
      [['invalidate', '--tag'], /invalidate: --tag needs a value/],
      [
        ['invalidate', '--tag', '-red'],
        /invalidate: --tag needs a value; one that starts with "-" goes as --tag=-/,
      ],
      [['inspect', 'b-1', 'k', 'extra'], /unexpected argument "extra"/],
      [['inspect', 'bad/bucket', 'k'], /bad bucket name/],
      [['invalidate', 'b-1', 'ok', 'é'.repeat(600)], /bad key .*longer than 1024 bytes/],
      [['stats', '--prefix', 'x'], /stats: unknown flag --prefix/],
    ]
    // No VALKEY_URL at all: these must fail on the arguments, not on the connection.
    const runs = await runEach(
      cases.map(([args]) => args),
      s3Env(s3.endpoint),
    )
    for (const [i, run] of runs.entries()) {
      expect(run.code).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toMatch((cases[i] as [string[], RegExp])[1])
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
    }
    const noUrl = await runCli(['stats'], s3Env(s3.endpoint))
    expect(noUrl).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^valkey-s3-cache: VALKEY_URL is not set/),
    })
  })

  it('warm loads every object under the prefix with progress on stderr and a summary; a second run loads none', async () => {
    const first = await runCli(['warm', s3.bucket, '--prefix', 'cli/', '--concurrency', '4'], env)
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/^loaded\s+40$/m)
    expect(first.stdout).toMatch(/^fresh\s+0$/m)
    expect(first.stdout).toMatch(/^skipped \(over max-object-bytes\)\s+0$/m)
    expect(first.stdout).toMatch(/^failed\s+0$/m)
    // No flags: the cache's defaults.
    expect(first.stdout).toMatch(/^ttl\s+5m 0s$/m)
    expect(first.stdout).toMatch(/^max object bytes\s+1048576$/m)
    expect(first.stdout).toMatch(/^bytes\s+\d+(\.\d)? KiB$/m)
    // Not a terminal: plain lines, no carriage returns, ending with the final count.
    expect(first.stderr).not.toContain('\r')
    expect(first.stderr.trim().split('\n').at(-1)).toBe(
      `warm: 40/40 (loaded 40, fresh 0, skipped 0, failed 0, ${/^bytes\s+(.*)$/m.exec(first.stdout)?.[1]})`,
    )
    const second = await runCli(['warm', s3.bucket, '--prefix', 'cli/', '--json'], env)
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout)).toMatchObject({
      loaded: 0,
      fresh: 40,
      stale: 0,
      skipped: 0,
      failed: 0,
      valkeyErrors: 0,
    })
  })

  it('inspect shows the entry; invalidate removes it; inspect then says absent', async () => {
    const key = keys[3] as string
    await runCli(['warm', s3.bucket, '--prefix', 'cli/doc 3', '--json'], env)
    const shown = await runCli(['inspect', s3.bucket, key], env)
    expect(shown.code).toBe(0)
    expect(shown.stdout).toMatch(/^present\s+yes$/m)
    expect(shown.stdout).toMatch(/^state\s+fresh$/m)
    expect(shown.stdout).toMatch(/^etag\s+"[0-9a-f]{32}"$/m)
    expect(shown.stdout).toMatch(/^fresh until\s+\d{4}-\d\d-\d\dT.*\(in 4m \d+s\)$/m)
    expect(shown.stdout).toMatch(/^compression\s+deflate$/m)
    expect(shown.stdout).toMatch(/^stored bytes\s+\d+( \(.*?\))? \(\d+% of the body\)$/m)
    const json = JSON.parse((await runCli(['inspect', s3.bucket, key, '--json'], env)).stdout)
    expect(json).toMatchObject({
      present: true,
      kind: 'object',
      state: 'fresh',
      valkeyKey: expect.stringMatching(/^cli:\{/),
    })

    const removed = await runCli(['invalidate', s3.bucket, key, keys[4] as string], env)
    expect(removed.code).toBe(0)
    expect(removed.stdout.split('\n').filter(Boolean).sort()).toEqual([
      `invalidated  ${key}`,
      `invalidated  ${keys[4]}`,
    ])
    const absent = await runCli(['inspect', s3.bucket, key], env)
    expect(absent.code).toBe(0)
    expect(absent.stdout).toMatch(/^present\s+no$/m)

    // The same through S3 URIs: the bucket, then everything after its "/" as the key.
    const uri = `s3://${s3.bucket}/${keys[5]}`
    expect((await runCli(['inspect', uri, '--json'], env)).stdout).toContain('"present":true')
    const byUri = await runCli(['invalidate', uri, '--json'], env)
    expect(byUri.code).toBe(0)
    expect(JSON.parse(byUri.stdout)).toEqual({ bucket: s3.bucket, invalidated: [keys[5]], failed: [] })
    expect((await runCli(['inspect', uri], env)).stdout).toMatch(/^present\s+no$/m)
  })

  it('stats counts the keys under the prefix and their memory, and says there are no hit counters', async () => {
    const run = await runCli(['stats'], env)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^key prefix\s+cli:$/m)
    const row = new RegExp(
      `^127\\.0\\.0\\.1:${server.port}\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+(\\.\\d)? KiB)$`,
      'm',
    ).exec(run.stdout)
    expect(row).not.toBeNull()
    expect(Number(row?.[2])).toBe(37) // 40 warmed, 3 invalidated
    expect(run.stdout).toMatch(/not kept in Valkey/)
    const json = JSON.parse((await runCli(['stats', '--json'], env)).stdout)
    expect(json.total).toMatchObject({ entries: 37, memory: expect.any(Number) })
  })

  it('warm stores entries with --ttl and --stale-ttl, skips objects over --max-object-bytes, and tells them from fresh ones', async () => {
    const small = ['flags/a.json', 'flags/b.json']
    const big = 'flags/big.json'
    for (const key of small) await putRaw(s3, key, JSON.stringify({ key }))
    await putRaw(s3, big, JSON.stringify({ pad: 'x'.repeat(5000) }))
    const flags = ['--ttl', '2h', '--stale-ttl', '600000', '--max-object-bytes', '4096']
    const first = await runCli(['warm', s3.bucket, '--prefix', 'flags/', ...flags, '--json'], env)
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({
      ttlMs: 7_200_000,
      staleTtlMs: 600_000,
      maxObjectBytes: 4096,
      loaded: 2,
      fresh: 0,
      skipped: 1,
      failed: 0,
    })

    const before = Date.now()
    const entry = JSON.parse((await runCli(['inspect', s3.bucket, small[0] as string, '--json'], env)).stdout)
    const freshUntil = Date.parse(entry.freshUntil)
    const staleUntil = Date.parse(entry.staleUntil)
    // Fresh for 2h less the jitter (at most 10%), not the default 5m; stale 10 minutes after that.
    expect(freshUntil - before).toBeGreaterThan(0.9 * 7_200_000 - 60_000)
    expect(freshUntil - before).toBeLessThanOrEqual(7_200_000)
    expect(Math.abs(staleUntil - freshUntil - 600_000)).toBeLessThanOrEqual(1)
    const admin = await server.adminClient()
    const pttl = await admin.pttl(entry.valkeyKey)
    expect(pttl).toBeGreaterThan(0.9 * 7_200_000 + 600_000 - 60_000)
    expect(pttl).toBeLessThanOrEqual(7_200_000 + 600_000)
    const skipped = await runCli(['inspect', s3.bucket, big, '--json'], env)
    expect(JSON.parse(skipped.stdout)).toMatchObject({ present: false })

    // Again: the two entries are fresh, the large object is skipped, each counted as such.
    const second = await runCli(['warm', s3.bucket, '--prefix', 'flags/', ...flags], env)
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/^loaded\s+0$/m)
    expect(second.stdout).toMatch(/^fresh\s+2$/m)
    expect(second.stdout).toMatch(/^skipped \(over max-object-bytes\)\s+1$/m)
    expect(second.stdout).toMatch(/^ttl\s+2h 0m$/m)
    expect(second.stdout).toMatch(/^stale ttl\s+10m 0s$/m)
    expect(second.stderr.trim().split('\n').at(-1)).toBe(
      'warm: 3/3 (loaded 0, fresh 2, skipped 1, failed 0, 0 B)',
    )

    // Under the default max-object-bytes (1 MiB) the large object is stored.
    const third = JSON.parse((await runCli(['warm', s3.bucket, '--prefix', 'flags/', '--json'], env)).stdout)
    expect(third).toMatchObject({ maxObjectBytes: 1_048_576, loaded: 1, fresh: 2, skipped: 0 })
  })

  it('invalidate --tag removes the put objects and wrap values carrying any of the tags, and no others', async () => {
    // A key prefix of its own: the tag sets and the tag log stay out of the stats test's counts.
    const tagEnv = { ...env, VALKEY_KEY_PREFIX: 'cli-tags:' }
    const cache = createS3Cache({
      s3: s3.client,
      bucket: s3.bucket,
      valkey: { url: server.url },
      keyPrefix: 'cli-tags:',
    })
    const runs: Record<string, number> = {}
    const statuses: Record<string, ReadStatus> = {}
    const wrap = (key: string, tags?: string[]) =>
      cache.wrap(
        key,
        () => {
          runs[key] = (runs[key] ?? 0) + 1
          return { key }
        },
        { ...(tags ? { tags } : {}), onStatus: (status) => (statuses[key] = status) },
      )
    const status = async (key: string) => (await cache.get(key)).status
    try {
      await cache.put('tags/red.json', '{"c":"red"}', { tags: ['red'] })
      await cache.put('tags/red-green.json', '{"c":"red-green"}', { tags: ['red', 'green'] })
      await cache.put('tags/blue.json', '{"c":"blue"}', { tags: ['blue'] })
      await cache.put('tags/green.json', '{"c":"green"}', { tags: ['green'] })
      await cache.put('tags/plain.json', '{"c":"none"}')
      await wrap('report blue', ['blue'])
      await wrap('report plain')
      for (const key of [
        'tags/red.json',
        'tags/red-green.json',
        'tags/blue.json',
        'tags/green.json',
        'tags/plain.json',
      ])
        expect(await status(key)).toBe('hit')

      const removed = await runCli(['invalidate', '--tag', 'red', '--tag', 'blue', '--tag', 'red'], tagEnv)
      expect(removed).toMatchObject({ code: 0, stderr: '' })
      expect(removed.stdout).toBe('tag      red\ntag      blue\nremoved  4\n')

      // Removed: the next read of each is a miss, and the wrap loader runs again.
      for (const key of ['tags/red.json', 'tags/red-green.json', 'tags/blue.json'])
        expect(await status(key)).toBe('miss')
      await wrap('report blue', ['blue'])
      expect([statuses['report blue'], runs['report blue']]).toEqual(['miss', 2])
      // Kept: another tag, no tag.
      expect(await status('tags/green.json')).toBe('hit')
      expect(await status('tags/plain.json')).toBe('hit')
      await wrap('report plain')
      expect([statuses['report plain'], runs['report plain']]).toEqual(['hit', 1])

      // The objects reloaded from S3 carry their tags again (put kept them in the object's metadata).
      const json = await runCli(['invalidate', '--tag', 'red', '--json'], tagEnv)
      expect(json).toMatchObject({ code: 0, stderr: '' })
      expect(JSON.parse(json.stdout)).toEqual({ tags: ['red'], removed: 2 })
      expect(await status('tags/red.json')).toBe('miss')
      const none = await runCli(['invalidate', '--tag', 'no such tag', '--json'], tagEnv)
      expect(JSON.parse(none.stdout)).toEqual({ tags: ['no such tag'], removed: 0 })
      expect(await status('tags/green.json')).toBe('hit')

      // stats counts the tag sets and the tag log as bookkeeping, not as entries.
      const admin = await server.adminClient()
      const keys = await admin.keys('cli-tags:*')
      admin.disconnect()
      const entries = keys.filter((key) => key.endsWith('}')).length
      const stats = JSON.parse((await runCli(['stats', '--json'], tagEnv)).stdout)
      expect(keys.some((key) => key.endsWith(':deps')) && keys.some((key) => key.endsWith(':log'))).toBe(true)
      expect(stats.total).toMatchObject({ entries, bookkeeping: keys.length - entries })
    } finally {
      await cache.close()
    }
  })

  it('invalidate --tag that Valkey refuses fails in one line naming the refusal, exit 1, nothing on stdout', async () => {
    // A user that may do everything but run the cache's scripts.
    const refusing = await startValkey({ acl: { keyPrefix: 'cli:', commands: '+@all -eval -evalsha' } })
    try {
      const runs = await runEach(
        [
          ['invalidate', '--tag', 'red', '--tag', 'blue'],
          ['invalidate', '--tag', 'red', '--json'],
        ],
        { ...env, VALKEY_URL: refusing.url },
      )
      for (const run of runs) {
        expect(run).toMatchObject({ code: 1, stdout: '' })
        expect(run.stderr.trim().split('\n')).toHaveLength(1)
      }
      expect(runs[0]?.stderr).toMatch(/^valkey-s3-cache: invalidate --tag red, blue: .*NOPERM/)
      expect(runs[1]?.stderr).toMatch(/^valkey-s3-cache: invalidate --tag red: .*NOPERM/)
    } finally {
      await refusing.stop()
    }
  })

  describe('connection failures: fast, one line, exit 1, no secrets', () => {
    let silent: Server
    let silentPort = 0
    const sockets: Socket[] = []
    beforeAll(async () => {
      // Accepts connections and never answers, like a proxy or load balancer with nothing behind it.
      silent = createServer((socket) => sockets.push(socket))
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
      silentPort = (silent.address() as { port: number }).port
    })
    afterAll(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    })

    const secret = 'pa55-word-never-printed'
    it.each([
      [
        'a closed port',
        () => `valkey://app:${secret}@127.0.0.1:1`,
        /cannot use Valkey at 127\.0\.0\.1:1|unreachable.*127\.0\.0\.1:1/i,
      ],
      ['a silent server', () => `valkey://app:${secret}@127.0.0.1:${silentPort}`, /127\.0\.0\.1:\d+/],
    ])('%s', async (_name, url, message) => {
      const run = await runCli(['stats'], { ...env, VALKEY_URL: url(), VALKEY_CONNECT_TIMEOUT: '1s' })
      expect(run.code).toBe(1)
      // The deadline is connect + command timeout (1 s + 2 s here); the rest is starting Node and tsx.
      expect(run.ms).toBeLessThan(15_000)
      expect(run.stdout).toBe('')
      expect(run.stderr).toMatch(message)
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
      expect(`${run.stdout}${run.stderr}`).not.toContain(secret)
    })
  })
})

describe('progress display', () => {
  it('draws a bar in place on a terminal, plain lines elsewhere', () => {
    const written: string[] = []
    const counts = {
      done: 5,
      total: 10,
      listing: false,
      loaded: 3,
      fresh: 2,
      stale: 0,
      skipped: 0,
      failed: 0,
      bytes: 2048,
    }
    const tty = progressDisplay((text) => written.push(text), true)
    tty.update(counts)
    tty.finish({ ...counts, done: 10 })
    const redraw = '\r\u001b[2K' // carriage return, then erase the line
    expect(written[0]).toMatch(new RegExp(`^${redraw.replace('[', '\\[')}█{12}░{12} 5/10 50%`))
    expect(written[1]?.startsWith(`${redraw}${'█'.repeat(24)} 10/10 100%`)).toBe(true)
    expect(written[1]?.endsWith('\n')).toBe(true)
    const lines: string[] = []
    const plain = progressDisplay((text) => lines.push(text), false)
    plain.update({ ...counts, listing: true })
    plain.finish({ ...counts, done: 10, stale: 1, skipped: 4 })
    expect(lines).toEqual([
      'warm: 5/10+ (loaded 3, fresh 2, skipped 0, failed 0, 2.0 KiB)\n',
      'warm: 10/10 (loaded 3, fresh 2, stale 1, skipped 4, failed 0, 2.0 KiB)\n',
    ])
  })
})
