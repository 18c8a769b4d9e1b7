// The bundling command the core and middy READMEs (and docs/deploy.md) show, run exactly as written on
// handlers written like their examples, and the bundles invoked in a fresh Node.js process against a
// real valkey-server and S3 server. Also the two failures that command avoids.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LAMBDA_ESM_OPTIONS } from '../scripts/bundle'
import { objectsEvent } from './support/events'
import { type Servers, startServers } from './support/servers'

const run = promisify(execFile)
const workspace = fileURLToPath(new URL('..', import.meta.url))
const readme = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')

/** The ```sh block of a markdown section that runs esbuild, its continuation lines joined. */
function bundlingCommand(markdown: string, heading: string): string {
  const section = markdown.slice(markdown.indexOf(`\n${heading}\n`))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
  if (!block.includes('esbuild')) throw new Error(`no esbuild command under ${heading}`)
  return block.replace(/\\\n\s*/g, '').trim()
}

const COMMAND = bundlingCommand(readme('packages/core/README.md'), '## Bundling for Lambda')

// Written like the core README's example (the S3 client pointed at the local server).
const CORE_HANDLER = `
import { S3Client } from '@aws-sdk/client-s3'
import { createS3Cache } from '@valkey-s3-cache/core'

const cache = createS3Cache({
  s3: new S3Client({ endpoint: process.env.S3_ENDPOINT, forcePathStyle: true }),
  bucket: process.env.BUCKET as string,
  valkey: process.env.VALKEY_URL,
  ttl: '5m',
})
await cache.connect().catch(() => {})

export const handler = async (event: { key: string }) => {
  const doc = await cache.getJson(event.key)
  return { doc, status: (await cache.get(event.key)).status }
}
`

// Written like the middy README's complete handler.
const MIDDY_HANDLER = `
import { S3Client } from '@aws-sdk/client-s3'
import middy from '@middy/core'
import httpCors from '@middy/http-cors'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import { createS3Cache } from '@valkey-s3-cache/core'
import { httpCache, s3Cache } from '@valkey-s3-cache/middy'
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda'

const cache = createS3Cache({
  s3: new S3Client({ endpoint: process.env.S3_ENDPOINT, forcePathStyle: true }),
  bucket: process.env.BUCKET as string,
  valkey: process.env.VALKEY_URL,
  ttl: '5m',
})
await cache.connect().catch(() => {})

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(httpCache({ cache, ttl: '1m', methods: ['POST'] }))
  .use(httpCors({ origin: 'https://app.example.com' }))
  .use(httpErrorHandler())
  .use(httpJsonBodyParser())
  .use(s3Cache({ cache }))
  .handler(async (event, context) => {
    const { key } = event.body as unknown as { key: string }
    const doc = await context.s3Cache.getJson(key)
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) }
  })
`

let servers: Servers
// Inside examples/api, so that esbuild finds its tsconfig (workspace sources) and npx finds esbuild.
let scratch: string

beforeAll(async () => {
  servers = await startServers()
  scratch = mkdtempSync(join(workspace, '.readme-bundle-'))
})
afterAll(async () => {
  await servers?.stop()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

/** A project holding `source` as src/handler.ts; `command` runs in it through the shell, as typed. */
async function bundle(name: string, source: string, command: string) {
  const dir = join(scratch, name)
  mkdirSync(join(dir, 'src'), { recursive: true })
  writeFileSync(join(dir, 'src/handler.ts'), source)
  // A package.json makes the project npx runs in (it finds esbuild in the node_modules above it);
  // offline, so npx can never fetch a package instead.
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n')
  const env = { ...process.env, npm_config_offline: 'true' }
  const result = await run('sh', ['-c', command], { cwd: dir, env }).then(
    (output) => ({ ...output, failed: false }),
    (error: { stdout: string; stderr: string }) => ({
      stdout: error.stdout,
      stderr: error.stderr,
      failed: true,
    }),
  )
  return { dir, ...result }
}

/** Imports `file` in a fresh Node.js process and calls its `handler` with each event in turn. */
async function invoke(file: string, events: unknown[]) {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(file).href)})
    const results = []
    for (const event of ${JSON.stringify(events)}) results.push(await handler(event, { getRemainingTimeInMillis: () => 10000 }))
    process.stdout.write(JSON.stringify(results))
    process.exit(0)`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 20_000,
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      BUCKET: servers.s3.bucket,
      VALKEY_URL: servers.valkey.url,
      S3_ENDPOINT: servers.s3.endpoint,
    },
  })
  return JSON.parse(stdout) as unknown[]
}

describe('the documented bundling command', () => {
  it('is the same in the core and middy READMEs and docs/deploy.md, and is what examples/api builds with', () => {
    expect(bundlingCommand(readme('packages/middy/README.md'), '## Bundling for Lambda')).toBe(COMMAND)
    expect(bundlingCommand(readme('docs/deploy.md'), '## Bundling a handler')).toBe(COMMAND)
    expect(COMMAND).toBe(
      'npx esbuild src/handler.ts --bundle --platform=node --target=node22 --format=esm --outfile=dist/index.mjs ' +
        `'--external:@aws-sdk/*' "--banner:js=${LAMBDA_ESM_OPTIONS.banner.js}"`,
    )
    expect(LAMBDA_ESM_OPTIONS).toMatchObject({
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      external: ['@aws-sdk/*'],
      outExtension: { '.js': '.mjs' },
    })
  })

  it("bundles a handler like the core README's, with top-level await, that reads through Valkey", async () => {
    await servers.put('docs/core.json', JSON.stringify({ from: 'core' }))
    const { dir, failed, stderr } = await bundle('core', CORE_HANDLER, COMMAND)
    expect(failed, stderr).toBe(false)
    const results = await invoke(join(dir, 'dist/index.mjs'), [{ key: 'docs/core.json' }])
    // The handler's getJson loaded it (a miss); its get then found it in Valkey.
    expect(results).toEqual([{ doc: { from: 'core' }, status: 'hit' }])
  })

  it("bundles a handler like the middy README's, answered from Valkey the second time", async () => {
    await servers.put('docs/middy.json', JSON.stringify({ from: 'middy' }))
    const { dir, failed, stderr } = await bundle('middy', MIDDY_HANDLER, COMMAND)
    expect(failed, stderr).toBe(false)
    const event = objectsEvent({ key: 'docs/middy.json' })
    const [miss, hit] = (await invoke(join(dir, 'dist/index.mjs'), [event, event])) as {
      statusCode: number
      body: string
      headers: Record<string, string>
    }[]
    expect(miss?.statusCode).toBe(200)
    expect(JSON.parse(miss?.body ?? '')).toEqual({ from: 'middy' })
    expect([miss?.headers['x-cache'], hit?.headers['x-cache']]).toEqual(['MISS', 'HIT'])
  })

  it('is needed as written: CommonJS output refuses the top-level await, ESM without the banner fails to load', async () => {
    const cjs = await bundle(
      'cjs',
      CORE_HANDLER,
      "npx esbuild src/handler.ts --bundle --platform=node --outfile=dist/index.js '--external:@aws-sdk/*'",
    )
    expect(cjs.failed).toBe(true)
    expect(cjs.stderr).toContain('Top-level await is currently not supported with the "cjs" output format')

    const noBanner = await bundle('no-banner', CORE_HANDLER, COMMAND.replace(/ "--banner:js=.*"$/, ''))
    expect(noBanner.failed, noBanner.stderr).toBe(false)
    await expect(invoke(join(noBanner.dir, 'dist/index.mjs'), [])).rejects.toThrow(
      /Dynamic require of "[^"]+" is not supported/,
    )
  })
})
