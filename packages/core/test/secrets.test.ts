import { PutObjectCommand } from '@aws-sdk/client-s3'
import { freePort, type S3Server, startS3, startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type CacheEvent, createS3Cache, createValkeyClient, fromEnv } from '../src'
import { main } from '../src/cli/main'
import { scrub } from '../src/connect/errors'
import { parseValkeyUrl } from '../src/connect/url'
import { CacheConfigError } from '../src/errors'
import { everythingIn } from './connect/helpers'
import { type CliRun, runCli } from './support/cli'

// "Every documented guarantee holds on every path", item 7: no error, event, log line or CLI output
// repeats a Valkey password, whatever its characters. Passwords here are drawn from all printable
// ASCII (0x20–0x7E), with extra weight on the characters URLs care about, and go through URLs both
// raw (as people paste them) and percent-encoded (as documented).

const RUNS = 25
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code))
const urlSpecial = fc.constantFrom('/', '@', ':', '#', '?', '%', ' ', '"', "'", '\\', '[', ']', '&', '=', '+')
const passwordArb = fc.string({
  unit: fc.oneof({ weight: 3, arbitrary: printable }, { weight: 1, arbitrary: urlSpecial }),
  minLength: 4,
  maxLength: 32,
})
/** The password of the issue, and one holding every character a URL treats specially. */
const NASTY = ['Sup3r/Secr3t', 'p@ss/w0rd?#:% "\'\\[]&=+']

const rawUrl = (password: string, port: number, user = 'app') =>
  `valkey://${user}:${password}@127.0.0.1:${port}`
const encodedUrl = (password: string, port: number, user = 'app') =>
  `valkey://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}`

/** Every way a text could hold the password: as is, percent-encoded, JSON-escaped. */
function formsOf(password: string): string[] {
  return [...new Set([password, encodeURIComponent(password), JSON.stringify(password).slice(1, -1)])]
}

/** Everything an error could print: message, stack, causes (with theirs), own properties, JSON. */
function errorText(error: unknown): string {
  const e = error as Error
  return `${e?.message}\n${e?.stack}\n${everythingIn(error)}\n${JSON.stringify(error)}`
}

/**
 * Boilerplate (stack frames, indentation, host names, option names) that a short password can match
 * by chance, collected once with a fixed password: an occurrence found there too is not a leak.
 */
let boilerplate = ''

function expectNoPassword(texts: string[], password: string, template = ''): void {
  if (password.length < 4) return
  const all = texts.join('\n----\n')
  for (const form of formsOf(password)) {
    if (boilerplate.includes(form) || template.includes(form)) continue
    const at = all.indexOf(form)
    if (at >= 0) {
      throw new Error(
        `password ${JSON.stringify(password)} printed as ${JSON.stringify(form)}: …${all.slice(Math.max(0, at - 200), at + form.length + 50)}…`,
      )
    }
  }
}

describe('no message repeats a Valkey password, whatever its characters (real servers, fast-check)', {
  timeout: 120_000,
}, () => {
  let s3: S3Server
  let server: ValkeyServer
  /** A port nothing listens on. */
  let dead: number
  const key = 'secrets/doc.json'
  const logged: string[] = []
  const restore: (() => void)[] = []
  let users = 0

  /** An ACL user whose password is `password`, allowed everything but keys under `s3c:` and SCAN. */
  const userWith = async (password: string): Promise<string> => {
    const name = `gen${++users}user`
    const admin = await server.adminClient()
    await admin.call('ACL', 'SETUSER', name, 'reset', 'on', `>${password}`, '~other:*', '+@all', '-scan')
    return name
  }

  /** Config errors: createValkeyClient, createS3Cache and fromEnv with the password in a URL or an option. */
  async function configPath(password: string): Promise<string[]> {
    const texts: string[] = []
    const sync = (fn: () => unknown) => {
      try {
        const made = fn() as { close?: () => Promise<void> } | undefined
        void made?.close?.()
      } catch (error) {
        texts.push(errorText(error))
      }
    }
    for (const url of [rawUrl(password, dead), encodedUrl(password, dead)]) {
      sync(() => fromEnv({ VALKEY_URL: url }))
      sync(() => fromEnv({ VALKEY_URL: url, VALKEY_CLUSTER: 'maybe' }))
      sync(() => createS3Cache({ s3: s3.client, bucket: s3.bucket, valkey: url }))
      sync(() => createS3Cache({ s3: s3.client, bucket: s3.bucket, valkey: { url, db: -1 } }))
      sync(() =>
        createS3Cache({
          s3: s3.client,
          bucket: s3.bucket,
          valkey: { url, cluster: false, readFrom: 'replica' },
        }),
      )
      // Parsed or not, it fails: a config error, or ECONNREFUSED on the dead port.
      const error = await createValkeyClient({ url, connectTimeout: 1000 }).then(
        (client) => client.disconnect(),
        (caught: unknown) => caught,
      )
      expect(error).toBeInstanceOf(Error)
      texts.push(errorText(error))
    }
    const options = { host: '127.0.0.1', port: dead, username: 'app', password }
    sync(() =>
      createS3Cache({
        s3: s3.client,
        bucket: s3.bucket,
        valkey: { ...options, credentials: async () => ({ password }) },
      }),
    )
    sync(() => createS3Cache({ s3: s3.client, bucket: s3.bucket, valkey: { ...options, port: 0 } }))
    sync(() =>
      fromEnv({
        VALKEY_URL: 'valkey://127.0.0.1:1',
        VALKEY_PASSWORD: password,
        VALKEY_CONNECT_TIMEOUT: 'soon',
      }),
    )
    const unreachable = await createValkeyClient(options).then(
      (client) => client.disconnect(),
      (caught: unknown) => caught,
    )
    expect(unreachable).toHaveProperty('name', 'ValkeyConnectionError')
    texts.push(errorText(unreachable))
    return texts
  }

  /** Connect and auth errors from a real server: WRONGPASS (URL, options, credentials), NOPERM, onError. */
  async function connectPath(password: string): Promise<string[]> {
    const texts: string[] = []
    const rejected = async (options: Parameters<typeof createValkeyClient>[0]) => {
      const error = await createValkeyClient(options).then(
        (client) => {
          client.disconnect()
          return undefined
        },
        (caught: unknown) => caught,
      )
      texts.push(errorText(error))
      return error
    }
    const { port } = server
    expect(await rejected(encodedUrl(password, port))).toHaveProperty('name', 'ValkeyAuthError')
    expect(await rejected(rawUrl(password, port))).toBeInstanceOf(Error)
    expect(
      await rejected({ host: '127.0.0.1', port, username: 'app', password: `${password}!` }),
    ).toHaveProperty('name', 'ValkeyAuthError')
    expect(
      await rejected({ host: '127.0.0.1', port, credentials: async () => ({ username: 'app', password }) }),
    ).toHaveProperty('name', 'ValkeyAuthError')
    // Errors reported to onError by a client that keeps reconnecting.
    const reported: Error[] = []
    const client = await createValkeyClient({
      url: encodedUrl(password, port),
      cluster: false,
      onError: (error) => reported.push(error),
    })
    // (Not the command's own rejection: see the known leak below.)
    await client.ping().catch(() => undefined)
    client.disconnect()
    expect(reported.length).toBeGreaterThan(0)
    texts.push(...reported.map(errorText))
    // The right password of a user without SCAN: its command errors.
    const user = await userWith(password)
    const allowed = await createValkeyClient(encodedUrl(password, port, user))
    await allowed.scan('0').catch((error: unknown) => texts.push(errorText(error)))
    allowed.disconnect()
    return texts
  }

  /** The `error` events of createS3Cache's onEvent: a wrong password, and a user whose keys are elsewhere. */
  async function eventPath(password: string): Promise<string[]> {
    const texts: string[] = []
    const user = await userWith(password)
    const valkeys = [
      { url: encodedUrl(password, server.port) },
      { url: rawUrl(password, server.port) },
      { url: encodedUrl(password, server.port, user) },
      { url: `valkey://127.0.0.1:${server.port}`, username: user, password },
    ]
    for (const valkey of valkeys) {
      const events: CacheEvent[] = []
      let cache: ReturnType<typeof createS3Cache>
      try {
        cache = createS3Cache({
          s3: s3.client,
          bucket: s3.bucket,
          valkey: { ...valkey, connectTimeout: 1000 },
          timeouts: { valkey: 300 },
          onEvent: (event) => events.push(event),
        })
      } catch (error) {
        // Only the raw URL may be refused as a config error.
        expect(valkey.url).toBe(rawUrl(password, server.port))
        texts.push(errorText(error))
        continue
      }
      await expect(cache.getJson(key)).resolves.toEqual({ ok: true })
      await cache.close()
      const errors = events.filter((event) => event.type === 'error')
      expect(errors.length).toBeGreaterThan(0)
      for (const event of errors) texts.push(JSON.stringify(event), errorText(event.error))
    }
    return texts
  }

  /** The CLI in this process (same code as the binary): config, WRONGPASS, unreachable and NOPERM. */
  async function cliPath(password: string): Promise<string[]> {
    const user = await userWith(password)
    const envs = [
      { VALKEY_URL: rawUrl(password, server.port) },
      { VALKEY_URL: encodedUrl(password, server.port) },
      { VALKEY_URL: encodedUrl(password, dead) },
      { VALKEY_URL: `valkey://127.0.0.1:${server.port}`, VALKEY_USERNAME: 'app', VALKEY_PASSWORD: password },
      { VALKEY_URL: encodedUrl(password, server.port, user) },
    ]
    const texts: string[] = []
    for (const env of envs) {
      let output = ''
      const write = (text: string) => {
        output += text
      }
      const code = await main(['stats'], { env, out: write, err: write, stderrIsTTY: false })
      expect(code, output).not.toBe(0)
      texts.push(output)
    }
    return texts
  }

  const logs = () => logged.splice(0)

  beforeAll(async () => {
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((arg) => (arg instanceof Error ? errorText(arg) : String(arg))).join(' '))
      })
      restore.push(() => spy.mockRestore())
    }
    const onWarning = (warning: Error) => logged.push(errorText(warning))
    process.on('warning', onWarning)
    restore.push(() => process.off('warning', onWarning))
    ;[s3, server, dead] = await Promise.all([startS3(), startValkey({ acl: true }), freePort()])
    await s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: '{"ok":true}',
        ContentType: 'application/json',
      }),
    )
    const control = 'Control-Pw-0'
    boilerplate = [
      ...(await configPath(control)),
      ...(await connectPath(control)),
      ...(await eventPath(control)),
      ...(await cliPath(control)),
      ...logs(),
    ].join('\n')
  })
  afterAll(async () => {
    for (const undo of restore) undo()
    await server?.stop()
    await s3?.stop()
  })

  it('never prints a URL password that holds "/"', async () => {
    const error = await createValkeyClient(`valkey://app:Sup3r/Secr3t@127.0.0.1:${dead}`).catch(
      (e: Error) => e,
    )
    expect(error).toBeInstanceOf(Error)
    expect(`${(error as Error).message}\n${(error as Error).stack}`).not.toContain('Sup3r/Secr3t')
    // Still useful: names the option and what is wrong, and shows the host.
    expect((error as Error).message).toMatch(/^Invalid option "url": the user name or password .* "\/"/)
    expect((error as Error).message).toContain(`127.0.0.1:${dead}`)
  })

  it('a raw URL password is refused, or parsed whole: never a piece of it read as host, port or path', () => {
    fc.assert(
      fc.property(passwordArb, (password) => {
        let parsed: ReturnType<typeof parseValkeyUrl>
        try {
          parsed = parseValkeyUrl(rawUrl(password, 6390), 'VALKEY_URL')
        } catch (error) {
          expect(error).toBeInstanceOf(CacheConfigError)
          expect(error).toHaveProperty('option', 'VALKEY_URL')
          expectNoPassword([errorText(error)], password)
          return
        }
        expect(parsed).toMatchObject({ host: '127.0.0.1', port: 6390, username: 'app', db: undefined })
      }),
      { numRuns: 200 },
    )
  })

  it('scrub removes the user info of every URL in a text, whatever the password', () => {
    const template = 'connect to  failed: "" and  then\nnext line ***@cache.local:6379/0 h'
    fc.assert(
      fc.property(passwordArb, fc.constantFrom('valkey', 'rediss', 'https'), (password, scheme) => {
        const urls = [
          `${scheme}://app:${password}@cache.local:6379/0`,
          `${scheme}://:${encodeURIComponent(password)}@h`,
          `${scheme}://${encodeURIComponent(password)}@h`,
        ]
        for (const url of urls) {
          const text = scrub(`connect to ${url} failed: ${JSON.stringify(url)} and ${url} then\nnext line`)
          expectNoPassword([text], password, template)
          expect(text).toMatch(/@(cache\.local:6379\/0|h) then\nnext line$/)
        }
      }),
      { numRuns: 50 },
    )
  })

  it('config errors (createValkeyClient, createS3Cache, fromEnv; raw URL, encoded URL, password option)', async () => {
    for (const password of NASTY) expectNoPassword([...(await configPath(password)), ...logs()], password)
    await fc.assert(
      fc.asyncProperty(passwordArb, async (password) => {
        expectNoPassword([...(await configPath(password)), ...logs()], password)
      }),
      { numRuns: RUNS },
    )
  })

  it('connect and auth errors from a real server: WRONGPASS, NOPERM, onError', async () => {
    for (const password of NASTY) expectNoPassword([...(await connectPath(password)), ...logs()], password)
    await fc.assert(
      fc.asyncProperty(passwordArb, async (password) => {
        expectNoPassword([...(await connectPath(password)), ...logs()], password)
      }),
      { numRuns: RUNS },
    )
  })

  it("the error events of createS3Cache's onEvent, reads still served from S3", async () => {
    for (const password of NASTY) expectNoPassword([...(await eventPath(password)), ...logs()], password)
    await fc.assert(
      fc.asyncProperty(passwordArb, async (password) => {
        expectNoPassword([...(await eventPath(password)), ...logs()], password)
      }),
      { numRuns: RUNS },
    )
  })

  it('the CLI, in this process: stdout and stderr', async () => {
    for (const password of NASTY) expectNoPassword([...(await cliPath(password)), ...logs()], password)
    await fc.assert(
      fc.asyncProperty(passwordArb, async (password) => {
        expectNoPassword([...(await cliPath(password)), ...logs()], password)
      }),
      { numRuns: RUNS },
    )
  })

  // Known leak, outside this change (connect/supervise.ts, create-client.ts): a command on a client
  // from createValkeyClient({ cluster: false }) with a wrong password rejects with iovalkey's raw
  // ReplyError, whose `command.args` holds the password, so console.error(error) prints it. Whatever
  // the password's characters. This test passes while the leak exists; when it is fixed, make it `it`.
  it('a command on a client with a wrong password rejects without the password (explicit and auto mode)', async () => {
    const password = NASTY[0] as string
    for (const cluster of [false, undefined]) {
      const client = await createValkeyClient({ url: encodedUrl(password, server.port), cluster }).catch(
        (caught: unknown) => caught,
      )
      // 'auto' probes first and rejects with a mapped error; explicit mode hands the client over at once.
      if (client instanceof Error) {
        expectNoPassword([errorText(client)], password)
        continue
      }
      const ready = client as Awaited<ReturnType<typeof createValkeyClient>>
      const error = await ready.ping().catch((caught: unknown) => caught)
      ready.disconnect()
      expect(error).toBeInstanceOf(Error)
      expectNoPassword([errorText(error)], password)
    }
  })

  it('the CLI as a child process, VALKEY_URL raw and percent-encoded', async () => {
    const passwords = [...NASTY, ...fc.sample(passwordArb, { numRuns: 2, seed: 7 })]
    const cases = passwords.flatMap((password) =>
      [rawUrl(password, server.port), encodedUrl(password, server.port)].map((url) => ({ password, url })),
    )
    // Two at a time: each is a whole Node process.
    const runs: CliRun[] = []
    for (let i = 0; i < cases.length; i += 2) {
      const pair = cases.slice(i, i + 2).map(({ url }) => runCli(['stats'], { VALKEY_URL: url }))
      runs.push(...(await Promise.all(pair)))
    }
    for (const [i, run] of runs.entries()) {
      const { password, url } = cases[i] as { password: string; url: string }
      expect(run?.code, run?.stderr).not.toBe(0)
      expect(run?.stderr).toMatch(/^valkey-s3-cache: /)
      expectNoPassword([`${run?.stdout}\n${run?.stderr}`], password)
      if (url.includes(encodeURIComponent(password))) expect(run?.stderr).toMatch(/WRONGPASS/)
    }
  })
})
