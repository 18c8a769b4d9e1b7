// A Lambda execution environment in a child process, for the freeze/thaw harness: the child holds one
// cache for its whole life and answers invocations over IPC; `freeze()` and `thaw()` are SIGSTOP and
// SIGCONT, which is what Lambda does to an environment between invocations (for seconds to hours).
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { type S3Server, startS3 } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, expect } from 'vitest'
import type { S3CacheOptions, ValkeyConnectionOptions } from '../../src'

const CHILD = fileURLToPath(new URL('./lambda-env-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/** What the child builds its cache from: JSON only (functions cannot cross the process boundary). */
export interface ChildConfig {
  s3Endpoint: string
  bucket: string
  /** Connection options, plus a file holding `{ username, password }`, read at every connection. */
  valkey: Omit<ValkeyConnectionOptions, 'credentials' | 'onError'> & { credentialsFile?: string }
  /** Other cache options (JSON-safe ones: ttl, timeouts, ...). */
  cache?: Partial<Omit<S3CacheOptions, 'valkey' | 's3' | 'bucket' | 'onEvent'>>
}

/** What an invocation asks the function to do. */
export type Request = { op: 'get'; key: string }
export type Invocation = { id: number } & Request

export interface InvocationResult {
  value?: string
  status?: string
  /** The thrown error, as `name: message`. */
  failure?: string
  /** Time inside the child, ms. */
  ms?: number
  /** S3 GetObject calls made during this invocation. */
  s3Calls: number
  /** Error events (`operation: message`) emitted during this invocation. */
  errors: string[]
}

/** One execution environment: a child process with one cache, frozen and thawed on demand. */
export class LambdaEnvironment {
  private readonly child: ChildProcess
  private nextId = 1
  private readonly waiting = new Map<number, (result: InvocationResult) => void>()
  private stderr = ''

  private constructor(child: ChildProcess) {
    this.child = child
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString()
    })
    child.on('message', (message: { id?: number; result?: InvocationResult }) => {
      if (message.id === undefined || !message.result) return
      this.waiting.get(message.id)?.(message.result)
      this.waiting.delete(message.id)
    })
  }

  /** Starts the child and waits until its cache exists (the cache connects on first use or `connect()`). */
  static async start(config: ChildConfig): Promise<LambdaEnvironment> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, LAMBDA_ENV_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    })
    const environment = new LambdaEnvironment(child)
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`child exited with ${code}: ${environment.stderr}`)))
      child.on('message', (message: { ready?: boolean }) => {
        if (message.ready) resolve()
      })
    })
    return environment
  }

  /** Sends one invocation and waits for its answer (from the child, so only while it is thawed). */
  invoke(request: Request): Promise<InvocationResult> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.waiting.set(id, resolve)
      this.child.send({ id, ...request } as Invocation, (error) => {
        if (error) reject(error)
      })
    })
  }

  get(key: string): Promise<InvocationResult> {
    return this.invoke({ op: 'get', key })
  }

  /** SIGSTOP: no timer, no socket callback, nothing runs until `thaw()`. */
  freeze(): void {
    this.child.kill('SIGSTOP')
  }

  thaw(): void {
    this.child.kill('SIGCONT')
  }

  /** Freezes for `ms` while `during` runs (the fault), then thaws. */
  async frozenWhile(ms: number, during: () => Promise<void> = async () => {}): Promise<void> {
    this.freeze()
    const started = Date.now()
    try {
      await during()
      const left = ms - (Date.now() - started)
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left))
    } finally {
      this.thaw()
    }
  }

  /** SIGTERM, as Lambda's shutdown with an extension: resolves with the exit code once the child exits. */
  async terminate(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)))
    this.child.kill('SIGTERM')
    return exited
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.kill('SIGCONT')
    this.child.kill('SIGKILL')
    await exited
  }
}

/** One line of a freeze/thaw table: what the first invocation after the thaw saw. */
export interface ThawRow {
  scenario: string
  /** Status of the first read after the thaw (`hit`, `miss`, ...) or its failure. */
  first: string
  /** Its time inside the function, ms, beside a warm read's before the freeze. */
  firstMs: number
  warmMs: number
  s3Calls: number
  errorEvents: number
  note?: string
}

/** The table each freeze/thaw file prints at the end (docs/reliability.md quotes it). */
export function printThawTable(title: string, rows: ThawRow[]): void {
  const head = [
    'scenario',
    'first read after thaw',
    'its ms (warm read ms)',
    'S3 calls',
    'error events',
    'note',
  ]
  const lines = [
    head,
    ...rows.map((r) => [
      r.scenario,
      r.first,
      `${r.firstMs.toFixed(1)} (${r.warmMs.toFixed(1)})`,
      String(r.s3Calls),
      String(r.errorEvents),
      r.note ?? '',
    ]),
  ].map((cells) => `| ${cells.join(' | ')} |`)
  lines.splice(1, 0, `|${head.map(() => '---').join('|')}|`)
  console.log(`\n${title}\n${lines.join('\n')}\n`)
}

/**
 * The frame of a freeze/thaw file: an S3 server, functions started on demand (stopped at the end with
 * whatever `cleanup` registered), and the table of first reads printed at the end.
 */
export function thawSuite(title: string, freezeMs: number) {
  let s3: S3Server | undefined
  const environments: LambdaEnvironment[] = []
  const cleanups: (() => Promise<void>)[] = []
  const rows: ThawRow[] = []
  beforeAll(async () => {
    s3 = await startS3()
  })
  afterAll(async () => {
    for (const environment of environments) await environment.stop()
    for (const cleanup of cleanups.reverse()) await cleanup()
    await s3?.stop()
    printThawTable(title, rows)
  })
  const server = () => {
    if (!s3) throw new Error('thawSuite: the S3 server starts in beforeAll')
    return s3
  }
  const put = (key: string, body: string) =>
    server().client.send(new PutObjectCommand({ Bucket: server().bucket, Key: key, Body: body }))

  return {
    rows,
    put,
    /** Runs `fn` when the file ends, after the functions stopped (servers, gates). */
    cleanup(fn: () => Promise<void>) {
      cleanups.push(fn)
    },
    /** A function whose cache uses `valkey`, with a 1-hour ttl (entries never expire during a test). */
    async start(valkey: ChildConfig['valkey']): Promise<LambdaEnvironment> {
      const environment = await LambdaEnvironment.start({
        s3Endpoint: server().endpoint,
        bucket: server().bucket,
        valkey,
        cache: { ttl: '1h' },
      })
      environments.push(environment)
      return environment
    },
    /** Loads `key` into Valkey, freezes the function while `during` runs, thaws, and reads `key` again. */
    async thaw(
      scenario: string,
      env: LambdaEnvironment,
      key: string,
      during?: () => Promise<void>,
      note?: string,
    ): Promise<InvocationResult> {
      await put(key, JSON.stringify({ key }))
      await env.get(key)
      const warm = await env.get(key)
      expect(warm.status).toBe('hit')
      await env.frozenWhile(freezeMs, during)
      const first = await env.get(key)
      rows.push({
        scenario,
        first: first.status ?? `failed (${first.failure})`,
        firstMs: first.ms ?? Number.NaN,
        warmMs: warm.ms ?? Number.NaN,
        s3Calls: first.s3Calls,
        errorEvents: first.errors.length,
        ...(note ? { note } : {}),
      })
      return first
    },
    /** A hit straight from Valkey: no S3 call and no error event. */
    expectHit(result: InvocationResult, key: string): void {
      expect(result).toMatchObject({ value: JSON.stringify({ key }), status: 'hit', s3Calls: 0, errors: [] })
    },
  }
}
