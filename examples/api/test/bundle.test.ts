// The container image, tested without Docker: build the bundles the Dockerfile copies, lay them out as
// the Lambda image does (/var/task holds only the copied files, the AWS SDK lives in a directory on
// NODE_PATH like /var/runtime/node_modules) and invoke each handler the way the runtime would: an ES
// module whose bare imports the runtime also resolves from NODE_PATH (plain Node.js does that for
// `require` only, so the invoking script adds it with a resolve hook).
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createS3Cache, type S3Cache } from '@valkey-s3-cache/core'
import type { APIGatewayProxyResult } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bundle, buildBundle, type EntryName } from '../scripts/bundle'
import { lambdaContext, objectsEvent, s3ObjectEvent } from './support/events'
import { type Servers, startServers } from './support/servers'

const run = promisify(execFile)
const workspace = fileURLToPath(new URL('..', import.meta.url))
const repoNodeModules = fileURLToPath(new URL('../../../node_modules', import.meta.url))

let bundle: Bundle
let servers: Servers
let sandbox: string
let task: string
let runtime: string

beforeAll(async () => {
  sandbox = mkdtempSync(join(tmpdir(), 'vs3c-lambda-'))
  ;[bundle, servers] = await Promise.all([buildBundle(), startServers()])
  // /var/task: exactly what the Dockerfile copies, and no node_modules anywhere above it.
  task = join(sandbox, 'var/task')
  mkdirSync(task, { recursive: true })
  for (const source of dockerCopies(readFileSync(join(workspace, 'Dockerfile'), 'utf8')).flat())
    cpSync(join(workspace, source), join(task, source.replace(/^dist\//, '')))
  // /var/runtime/node_modules: only @aws-sdk, like the image's runtime-provided SDK.
  runtime = join(sandbox, 'var/runtime/node_modules')
  mkdirSync(runtime, { recursive: true })
  symlinkSync(join(repoNodeModules, '@aws-sdk'), join(runtime, '@aws-sdk'))
})

afterAll(async () => {
  await servers?.stop()
  if (sandbox) rmSync(sandbox, { recursive: true, force: true })
})

/** `COPY <sources...> <destination>` lines of the Dockerfile. */
function dockerCopies(dockerfile: string): string[][] {
  return dockerfile
    .split('\n')
    .filter((line) => /^COPY\s/i.test(line))
    .map((line) => line.trim().split(/\s+/).slice(1, -1))
}

/**
 * Runs `<entry>.handler` from /var/task in a fresh Node.js process, as the runtime would (the image's
 * CMD, or the command a function overrides it with), once per event in turn. `env` replaces the
 * default environment's variables of the same name; `undefined` removes one.
 */
async function invoke(entry: EntryName, events: unknown[], env: Record<string, string | undefined> = {}) {
  const script = `
    let leaked = true
    try { require.resolve('zod') } catch { leaked = false }
    const { registerHooks } = require('node:module')
    const { pathToFileURL } = require('node:url')
    // Lambda's runtime resolves an ES module's bare imports from NODE_PATH too (the runtime-provided SDK).
    registerHooks({
      resolve(specifier, context, next) {
        try { return next(specifier, context) } catch (error) {
          if (error.code !== 'ERR_MODULE_NOT_FOUND' || /^[./]|^node:|^file:/.test(specifier)) throw error
          for (const dir of (process.env.NODE_PATH ?? '').split(':').filter(Boolean)) {
            try { return next(specifier, { ...context, parentURL: pathToFileURL(dir + '/index.js').href }) } catch {}
          }
          throw error
        }
      },
    })
    ;(async () => {
      const { handler } = await import(pathToFileURL(process.env.LAMBDA_TASK_ROOT + '/${entry}.mjs').href)
      const results = []
      for (const event of JSON.parse(process.env.EVENTS)) results.push(await handler(event, JSON.parse(process.env.CONTEXT)))
      process.stdout.write('RESULT ' + JSON.stringify({ leaked, results }) + '\\n')
      // Lambda's shutdown with an extension: the entry closes the cache and exits with 0 by itself.
      process.kill(process.pid, 'SIGTERM')
    })()`
  const environment: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: sandbox,
    LAMBDA_TASK_ROOT: task,
    NODE_PATH: runtime,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    BUCKET: servers.s3.bucket,
    VALKEY_URL: servers.valkey.url,
    S3_ENDPOINT: servers.s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    EVENTS: JSON.stringify(events),
    CONTEXT: JSON.stringify(lambdaContext()),
    ...env,
  }
  const { stdout } = await run(process.execPath, ['-e', script], {
    cwd: task,
    timeout: 20_000,
    env: Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined)),
  })
  const lines = stdout.split('\n')
  const result = JSON.parse(lines.find((line) => line.startsWith('RESULT '))?.slice(7) ?? '{}')
  const logs = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))
  return { leaked: result.leaked as boolean, results: result.results as unknown[], logs }
}

describe('the Lambda bundles and their container image', () => {
  it('bundles everything but the AWS SDK and Node.js built-ins, in each entry', () => {
    const outputs = Object.values(bundle.metafile.outputs).filter((entry) => entry.entryPoint !== undefined)
    expect(outputs.map((output) => output.entryPoint?.replace(/^.*?(src\/)/, '$1')).sort()).toEqual([
      'src/index.ts',
      'src/invalidator.ts',
    ])
    const builtins = new Set(builtinModules)
    for (const output of outputs) {
      const externals = new Set(output.imports.filter((i) => i.external).map((i) => i.path))
      const unexpected = [...externals].filter(
        (path) => !path.startsWith('node:') && !builtins.has(path) && !path.startsWith('@aws-sdk/'),
      )
      expect(unexpected, output.entryPoint).toEqual([])
      expect(externals, output.entryPoint).toContain('@aws-sdk/client-s3')
    }
    for (const { bytes, file } of Object.values(bundle.entries)) {
      // ES modules (.mjs) that start with the banner giving CommonJS dependencies their `require`.
      expect(file).toMatch(/\.mjs$/)
      expect(readFileSync(file, 'utf8')).toMatch(
        /^import \{ createRequire \} from 'node:module'; const require = /,
      )
      expect(bytes).toBeGreaterThan(10_000)
      expect(bytes).toBeLessThan(1_000_000)
    }
  })

  it('has a Dockerfile that copies both built handlers onto the Lambda Node.js base image', () => {
    const dockerfile = readFileSync(join(workspace, 'Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(/^FROM public\.ecr\.aws\/lambda\/nodejs:\$\{NODE_VERSION\}$/m)
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=(22|24)$/m)
    expect(dockerfile).toMatch(/^CMD \["index\.handler"\]$/m)
    const sources = dockerCopies(dockerfile).flat()
    expect(sources).toEqual(expect.arrayContaining(['dist/index.mjs', 'dist/invalidator.mjs']))
    for (const source of sources) expect(existsSync(join(workspace, source)), source).toBe(true)
    const ignore = readFileSync(join(workspace, '.dockerignore'), 'utf8')
    expect(ignore).toMatch(/^\*$/m)
    expect(ignore).toMatch(/^!dist\/$/m)
  })

  it('answers an API Gateway event when loaded as the Lambda runtime loads it', async () => {
    await servers.put('docs/lambda.json', JSON.stringify({ from: 'the bundle' }))
    const events = [objectsEvent({ key: 'docs/lambda.json' }), objectsEvent({ key: 'docs/lambda.json' })]
    const { leaked, results, logs } = await invoke('index', events, {
      EMF_METRICS: 'true',
      SERVICE_NAME: 'objects-bundle',
    })
    expect(leaked).toBe(false)
    const [miss, hit] = results as APIGatewayProxyResult[]
    expect(miss?.statusCode).toBe(200)
    expect(JSON.parse(miss?.body ?? '')).toEqual({ from: 'the bundle' })
    expect(miss?.headers?.['x-cache']).toBe('MISS')
    expect(hit?.headers?.['x-cache']).toBe('HIT')
    // Powertools (bundled) wrote to stdout: per request, its log line, then its EMF metrics.
    expect(logs.map((line) => ('_aws' in line ? 'metrics' : line.cache))).toEqual([
      'MISS',
      'metrics',
      'HIT',
      'metrics',
    ])
    expect(logs[0]).toMatchObject({
      level: 'INFO',
      service: 'objects-bundle',
      function_request_id: expect.stringMatching(/^req-/),
    })
    expect(logs[1]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'ValkeyS3Cache', Dimensions: [['service']] }] },
      service: 'objects-bundle',
      CacheMisses: 1,
      CacheHits: 0,
    })
    expect(logs[3]).toMatchObject({ CacheHits: 1, CacheMisses: 0 })
  })

  describe('invalidator.handler (the command the invalidator function sets)', () => {
    let observer: S3Cache
    beforeAll(() => {
      // Reads Valkey as the API does (same bucket, default key prefix), to see the API's entries.
      observer = createS3Cache({
        s3: servers.s3.client,
        bucket: servers.s3.bucket,
        valkey: servers.valkey.url,
      })
    })
    afterAll(() => observer?.close())

    it('removes the entry the API cached when S3 reports the object changed, without touching S3', async () => {
      const key = 'docs/changed.json'
      await servers.put(key, JSON.stringify({ v: 1 }))
      const api = await invoke('index', [objectsEvent({ key })])
      expect(JSON.parse((api.results[0] as APIGatewayProxyResult).body)).toEqual({ v: 1 })
      expect(await observer.inspect(key)).toMatchObject({ present: true, kind: 'object' })

      await servers.put(key, JSON.stringify({ v: 2 }))
      const created = s3ObjectEvent(servers.s3.bucket, key)
      // No S3 credentials and an S3 endpoint nobody listens on: the invalidator must not need S3.
      const { leaked, results, logs } = await invoke('invalidator', [created, created], {
        S3_ENDPOINT: 'http://127.0.0.1:9',
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
      })
      expect(leaked).toBe(false)
      // The event applies once; EventBridge's at-least-once duplicate is ignored (same sequencer).
      expect(results).toEqual([
        { applied: 1, ignored: 0, failed: 0 },
        { applied: 0, ignored: 1, failed: 0 },
      ])
      expect(await observer.inspect(key)).toMatchObject({ present: false })
      expect(await observer.getJson(key)).toEqual({ v: 2 })
      expect(logs).toEqual([
        expect.objectContaining({ level: 'INFO', message: 'S3 events', applied: 1, ignored: 0, failed: 0 }),
        expect.objectContaining({ level: 'INFO', message: 'S3 events', applied: 0, ignored: 1, failed: 0 }),
      ])
    })

    it('removes the entry of a deleted object, and ignores other buckets', async () => {
      const key = 'docs/deleted.json'
      await servers.put(key, JSON.stringify({ gone: false }))
      expect(await observer.getJson(key)).toEqual({ gone: false })
      const { results } = await invoke('invalidator', [
        s3ObjectEvent('some-other-bucket', key, 'Object Deleted'),
        s3ObjectEvent(servers.s3.bucket, key, 'Object Deleted'),
      ])
      expect(results).toEqual([
        { applied: 0, ignored: 1, failed: 0 },
        { applied: 1, ignored: 0, failed: 0 },
      ])
      expect(await observer.inspect(key)).toMatchObject({ present: false })
    })
  })
})
