// The container image, tested without Docker: build the bundle the Dockerfile copies, lay it out as
// the Lambda image does (/var/task holds only the copied files, the AWS SDK lives in a directory on
// NODE_PATH like /var/runtime/node_modules) and invoke the handler the way the runtime would.
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { APIGatewayProxyResult } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bundle, buildBundle } from '../scripts/bundle'
import { lambdaContext, objectsEvent } from './support/events'
import { type Servers, startServers } from './support/servers'

const run = promisify(execFile)
const workspace = fileURLToPath(new URL('..', import.meta.url))
const repoNodeModules = fileURLToPath(new URL('../../../node_modules', import.meta.url))

let bundle: Bundle
let servers: Servers
let sandbox: string

beforeAll(async () => {
  sandbox = mkdtempSync(join(tmpdir(), 'vs3c-lambda-'))
  ;[bundle, servers] = await Promise.all([buildBundle(), startServers()])
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

describe('the Lambda bundle and its container image', () => {
  it('bundles everything but the AWS SDK and Node.js built-ins', () => {
    const output = Object.values(bundle.metafile.outputs).find((entry) => entry.entryPoint !== undefined)
    const externals = new Set(output?.imports.filter((i) => i.external).map((i) => i.path))
    const builtins = new Set(builtinModules)
    const unexpected = [...externals].filter(
      (path) => !path.startsWith('node:') && !builtins.has(path) && !path.startsWith('@aws-sdk/'),
    )
    expect(unexpected).toEqual([])
    expect(externals).toContain('@aws-sdk/client-s3')
    expect(bundle.bytes).toBeGreaterThan(10_000)
    expect(bundle.bytes).toBeLessThan(1_000_000)
  })

  it('has a Dockerfile that copies the built files onto the Lambda Node.js base image', () => {
    const dockerfile = readFileSync(join(workspace, 'Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(/^FROM public\.ecr\.aws\/lambda\/nodejs:\$\{NODE_VERSION\}$/m)
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=(22|24)$/m)
    expect(dockerfile).toMatch(/^CMD \["index\.handler"\]$/m)
    const sources = dockerCopies(dockerfile).flat()
    expect(sources).toContain('dist/index.js')
    for (const source of sources) expect(existsSync(join(workspace, source)), source).toBe(true)
    const ignore = readFileSync(join(workspace, '.dockerignore'), 'utf8')
    expect(ignore).toMatch(/^\*$/m)
    expect(ignore).toMatch(/^!dist\/$/m)
  })

  it('answers an API Gateway event when loaded as the Lambda runtime loads it', async () => {
    // /var/task: exactly what the Dockerfile copies, and no node_modules anywhere above it.
    const task = join(sandbox, 'var/task')
    mkdirSync(task, { recursive: true })
    const dockerfile = readFileSync(join(workspace, 'Dockerfile'), 'utf8')
    for (const source of dockerCopies(dockerfile).flat()) {
      cpSync(join(workspace, source), join(task, source.replace(/^dist\//, '')))
    }
    // /var/runtime/node_modules: only @aws-sdk, like the image's runtime-provided SDK.
    const runtime = join(sandbox, 'var/runtime/node_modules')
    mkdirSync(runtime, { recursive: true })
    symlinkSync(join(repoNodeModules, '@aws-sdk'), join(runtime, '@aws-sdk'))

    await servers.put('docs/lambda.json', JSON.stringify({ from: 'the bundle' }))
    const events = [objectsEvent({ key: 'docs/lambda.json' }), objectsEvent({ key: 'docs/lambda.json' })]
    const script = `
      let leaked = true
      try { require.resolve('zod') } catch { leaked = false }
      const { handler } = require(process.env.LAMBDA_TASK_ROOT + '/index.js')
      ;(async () => {
        const results = []
        for (const event of JSON.parse(process.env.EVENTS)) results.push(await handler(event, JSON.parse(process.env.CONTEXT)))
        process.stdout.write('RESULT ' + JSON.stringify({ leaked, results }) + '\\n')
        process.exit(0)
      })()`
    const { stdout } = await run(process.execPath, ['-e', script], {
      cwd: task,
      timeout: 20_000,
      env: {
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
      },
    })
    const result = JSON.parse(
      stdout
        .split('\n')
        .find((line) => line.startsWith('RESULT '))
        ?.slice(7) ?? '{}',
    )
    expect(result.leaked).toBe(false)
    const [miss, hit] = result.results as APIGatewayProxyResult[]
    expect(miss?.statusCode).toBe(200)
    expect(JSON.parse(miss?.body ?? '')).toEqual({ from: 'the bundle' })
    expect(miss?.headers?.['x-cache']).toBe('MISS')
    expect(hit?.headers?.['x-cache']).toBe('HIT')
    // The handler's own log lines went to stdout, one per request.
    const logs = stdout.split('\n').filter((line) => line.startsWith('{"level"'))
    expect(logs.map((line) => JSON.parse(line).cache)).toEqual(['MISS', 'HIT'])
  })
})
