import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { CORE_DIST, CORE_SOURCE, type CoreDist, ensureCoreDist } from '../core-dist'
import { createS3Cache } from '../core-module'
import { type BenchEnv, putDoc, s3ClientFor } from '../env'
import { makeDoc } from '../payload'
import type { Settings } from '../settings'
import { median, round } from '../stats'
import { type BundleResult, bundleHandlers } from './bundles'
import { type GlideInstall, measureGlideInstall } from './glide-install'

export interface ImportResult {
  name: string
  /** What was imported. */
  specifiers: string[]
  /** How core was loaded: its built dist, or its TypeScript source through tsx. */
  loadedFrom: 'dist' | 'source via tsx' | 'node_modules'
  /** `await import()` inside a fresh process, ms: one per sample. */
  importMs: number[]
  medianImportMs: number
  /** Whole process (spawn to exit) minus an empty Node process, median, ms. */
  medianProcessOverheadMs: number
}

/** The first cached read of a fresh process: client creation to the first parsed value. */
export interface FirstRequestSample {
  /** Client creation to parsed value, ms. */
  firstRequestMs: number
}

export interface FirstRequestResult {
  name: string
  /** What the fresh process timed. */
  what: string
  loadedFrom: ImportResult['loadedFrom']
  /** One per sample, ms. */
  firstRequestMs: number[]
  medianMs: number
  /** Untimed set-up before the first request, when there is one (`cache.connect()` in INIT): one per sample, ms. */
  initMs?: number[]
  initMedianMs?: number
}

export interface FirstRequests {
  sizeKiB: number
  core: FirstRequestResult
  /** core with `cluster: false` (a known mode, as an ElastiCache Serverless host name is): no `INFO cluster` probe. */
  coreKnownMode?: FirstRequestResult
  raw: FirstRequestResult
  /** core's median / raw's median. */
  ratio: number
  /** coreKnownMode's median / raw's median. */
  ratioKnownMode?: number
  /** core after `await cache.connect()` at module load (Lambda's INIT): the first request itself. */
  coreConnected?: FirstRequestResult
}

export interface ColdStartResult {
  nodeBaselineMs: number
  imports: ImportResult[]
  coreDist: CoreDist
  bundles: BundleResult[]
  firstRequest?: FirstRequests
  /** What a deployment on GLIDE carries in node_modules (GLIDE cannot be bundled). */
  glideInstall?: GlideInstall
}

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url))

interface Target {
  name: string
  specifiers: string[]
  loadedFrom: ImportResult['loadedFrom']
  execArgv: string[]
}

/** One fresh process importing `specifiers`; returns its in-process import time and its wall time, ms. */
function sample(target: Target): { importMs: number; wallMs: number } {
  const script = `const t0 = performance.now(); for (const s of ${JSON.stringify(target.specifiers)}) await import(s); process.stdout.write(String(performance.now() - t0))`
  const started = performance.now()
  const run = spawnSync(process.execPath, [...target.execArgv, '--input-type=module', '-e', script], {
    cwd: BENCH_DIR,
    encoding: 'utf8',
  })
  const wallMs = performance.now() - started
  if (run.status !== 0) throw new Error(`import of ${target.name} failed: ${run.stderr}`)
  return { importMs: Number(run.stdout), wallMs }
}

/** Newest modification time under packages/core/src, ms. */
const FIRST_REQUEST_KEY = 'cold-start/first-request.json'
const FIRST_REQUEST_SIZE_KIB = 10

/**
 * One fresh process that imports `target` (untimed), then times creating the client and one read
 * of a key that is already cached, to the parsed value. Prints `{ ms, id }`.
 */
function firstRequestScript(
  kind: 'core' | 'core-known-mode' | 'core-connected' | 'raw',
  target: Target,
  env: BenchEnv,
  expectedId: string,
): string {
  const { valkeyHost, valkeyPort, s3Endpoint, bucket } = env.endpoints
  const check = `if (value?.id !== ${JSON.stringify(expectedId)}) throw new Error('unexpected value: ' + JSON.stringify(value).slice(0, 80))`
  // The application's S3 client exists before the cache or the raw client (both need one for misses): not timed.
  const s3Client = [
    `const { S3Client } = await import('@aws-sdk/client-s3')`,
    `const s3 = new S3Client({ endpoint: ${JSON.stringify(s3Endpoint)}, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } })`,
  ]
  if (kind === 'raw') {
    return [
      `const { Redis } = await import(${JSON.stringify(target.specifiers[0])})`,
      ...s3Client,
      'const t0 = performance.now()',
      `const redis = new Redis({ host: ${JSON.stringify(valkeyHost)}, port: ${valkeyPort} })`,
      `const buffer = await redis.getBuffer(${JSON.stringify(`raw:${FIRST_REQUEST_KEY}`)})`,
      `const value = JSON.parse(buffer.toString('utf8'))`,
      'const ms = performance.now() - t0',
      check,
      'redis.disconnect()',
      's3.destroy()',
      'process.stdout.write(JSON.stringify({ ms }))',
    ].join('\n')
  }
  const createCache = `const cache = createS3Cache({ s3, bucket: ${JSON.stringify(bucket)}, valkey: ${JSON.stringify(
    kind === 'core-known-mode'
      ? { url: `valkey://${valkeyHost}:${valkeyPort}`, cluster: false }
      : `valkey://${valkeyHost}:${valkeyPort}`,
  )} })`
  // core-connected: the cache is created and connected at module load (INIT), timed apart; the
  // first request is then the read alone. The others create the cache inside the timed span.
  const init =
    kind === 'core-connected'
      ? [
          'const i0 = performance.now()',
          createCache,
          'await cache.connect()',
          'const initMs = performance.now() - i0',
        ]
      : ['const initMs = undefined']
  return [
    `const { createS3Cache } = await import(${JSON.stringify(target.specifiers[0])})`,
    ...s3Client,
    ...init,
    'const t0 = performance.now()',
    ...(kind === 'core-connected' ? [] : [createCache]),
    `const value = await cache.getJson(${JSON.stringify(FIRST_REQUEST_KEY)})`,
    'const ms = performance.now() - t0',
    check,
    'await cache.close()',
    's3.destroy()',
    'process.stdout.write(JSON.stringify({ ms, initMs }))',
  ].join('\n')
}

function firstRequestSample(script: string, target: Target): { ms: number; initMs?: number } {
  const run = spawnSync(process.execPath, [...target.execArgv, '--input-type=module', '-e', script], {
    cwd: BENCH_DIR,
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (run.status !== 0) throw new Error(`first request of ${target.name} failed: ${run.stderr || run.error}`)
  return JSON.parse(run.stdout) as { ms: number; initMs?: number }
}

/**
 * Caches the document for both: core through one `getJson` with the child's options (default
 * `keyPrefix`), checked with `inspect`; the raw floor with a SET of its key.
 */
async function prepareFirstRequest(env: BenchEnv): Promise<string> {
  const doc = makeDoc(FIRST_REQUEST_SIZE_KIB)
  const s3 = s3ClientFor(env.endpoints)
  try {
    await putDoc(s3, FIRST_REQUEST_KEY, doc.json)
    const cache = createS3Cache({
      s3,
      bucket: env.endpoints.bucket,
      valkey: `valkey://${env.endpoints.valkeyHost}:${env.endpoints.valkeyPort}`,
    })
    try {
      await cache.getJson(FIRST_REQUEST_KEY)
      const entry = await cache.inspect(FIRST_REQUEST_KEY)
      if (!entry.present || entry.kind !== 'object' || entry.state !== 'fresh')
        throw new Error(`core did not cache ${FIRST_REQUEST_KEY}: ${JSON.stringify(entry)}`)
    } finally {
      await cache.close()
    }
  } finally {
    s3.destroy()
  }
  await env.admin.set(`raw:${FIRST_REQUEST_KEY}`, doc.json, 'PX', 3_600_000)
  return (JSON.parse(doc.json) as { id: string }).id
}

async function measureFirstRequest(
  env: BenchEnv,
  settings: Settings,
  core: Target,
  log: (line: string) => void,
): Promise<FirstRequests> {
  const expectedId = await prepareFirstRequest(env)
  const raw: Target = {
    name: 'raw iovalkey',
    specifiers: ['iovalkey'],
    loadedFrom: 'node_modules',
    execArgv: [],
  }
  const kinds = [
    {
      kind: 'core' as const,
      target: core,
      script: firstRequestScript('core', core, env, expectedId),
      ms: [] as number[],
    },
    {
      kind: 'core-known-mode' as const,
      target: core,
      script: firstRequestScript('core-known-mode', core, env, expectedId),
      ms: [] as number[],
    },
    {
      kind: 'core-connected' as const,
      target: core,
      script: firstRequestScript('core-connected', core, env, expectedId),
      ms: [] as number[],
      initMs: [] as number[],
    },
    {
      kind: 'raw' as const,
      target: raw,
      script: firstRequestScript('raw', raw, env, expectedId),
      ms: [] as number[],
    },
  ]
  for (let i = 0; i < settings.coldStartSamples; i++) {
    // Alternating which goes first, so neither always runs right after the other's exit.
    for (const k of i % 2 ? [...kinds].reverse() : kinds) {
      const sample = firstRequestSample(k.script, k.target)
      k.ms.push(sample.ms)
      if (sample.initMs !== undefined) k.initMs?.push(sample.initMs)
    }
  }
  const names = {
    core: 'core',
    'core-known-mode': 'core, cluster: false',
    'core-connected': 'core, connect() in INIT',
    raw: 'raw floor',
  }
  const whats = {
    core: '`createS3Cache({ s3, bucket, valkey: url })` + `getJson(key)`',
    'core-known-mode': 'the same with `valkey: { url, cluster: false }`: no `INFO cluster` probe',
    'core-connected':
      '`getJson(key)` alone: the cache was created and `await cache.connect()` ran at module load (its time is shown apart)',
    raw: '`new Redis({ host, port })` + `getBuffer(key)` + `JSON.parse`',
  }
  const [c, known, connected, r] = kinds.map(
    (k): FirstRequestResult => ({
      name: names[k.kind],
      what: whats[k.kind],
      loadedFrom: k.target.loadedFrom,
      firstRequestMs: k.ms.map(round),
      medianMs: round(median(k.ms)),
      ...('initMs' in k && k.initMs
        ? { initMs: k.initMs.map(round), initMedianMs: round(median(k.initMs)) }
        : {}),
    }),
  ) as [FirstRequestResult, FirstRequestResult, FirstRequestResult, FirstRequestResult]
  const result: FirstRequests = {
    sizeKiB: FIRST_REQUEST_SIZE_KIB,
    core: c,
    coreKnownMode: known,
    coreConnected: connected,
    raw: r,
    ratio: round(c.medianMs / r.medianMs),
    ratioKnownMode: round(known.medianMs / r.medianMs),
  }
  for (const x of [c, known, connected, r])
    log(
      `  first request ${x.name.padEnd(30)} ${x.medianMs} ms [${x.loadedFrom}]` +
        (x.initMedianMs === undefined ? '' : ` (connect() in INIT: ${x.initMedianMs} ms)`),
    )
  log(`  first request core / raw: ${result.ratio}× (cluster: false ${result.ratioKnownMode}×)`)
  return result
}

/**
 * Scenario 6: the time to import core in a fresh Node process (median of `coldStartSamples`),
 * beside iovalkey alone, the peers' packages and the S3 client alone; the first cached read of a
 * fresh process (client creation to parsed value) for core and the raw floor; and the minified
 * bundle sizes of small handlers (fixtures/) with `@aws-sdk/*` external, as a Lambda deployment
 * would have them.
 */
export async function runColdStart(
  env: BenchEnv,
  settings: Settings,
  log: (line: string) => void,
): Promise<ColdStartResult> {
  let coreDist = ensureCoreDist(settings.mode, log)
  const fromSource: Target = {
    name: 'core',
    specifiers: [pathToFileURL(CORE_SOURCE).href],
    loadedFrom: 'source via tsx',
    execArgv: ['--import', 'tsx'],
  }
  let core: Target = coreDist.built
    ? { name: 'core', specifiers: [pathToFileURL(CORE_DIST).href], loadedFrom: 'dist', execArgv: [] }
    : fromSource
  try {
    sample(core) // also warms the disk cache for every target below
  } catch (error) {
    // Someone may be rebuilding dist right now (tsup empties it first).
    log(`  ${(error as Error).message.split('\n')[0]}: importing the source through tsx instead`)
    core = fromSource
    coreDist = { built: false }
  }
  const peer = (name: string, specifiers: string[]): Target => ({
    name,
    specifiers,
    loadedFrom: 'node_modules',
    execArgv: [],
  })
  const targets: Target[] = [
    core,
    peer('iovalkey alone', ['iovalkey']),
    peer('iovalkey + @aws-sdk/client-s3', ['iovalkey', '@aws-sdk/client-s3']),
    peer('@aws-sdk/client-s3 alone', ['@aws-sdk/client-s3']),
    peer('bentocache + redis driver', ['bentocache', 'bentocache/drivers/redis']),
    peer('cache-manager + keyv + @keyv/valkey', ['cache-manager', 'keyv', '@keyv/valkey']),
    peer('cachified + iovalkey', ['@epic-web/cachified', 'iovalkey']),
    peer('@valkey/valkey-glide alone', ['@valkey/valkey-glide']),
  ]
  const baseline: number[] = []
  const samples = new Map(targets.map((t) => [t.name, [] as { importMs: number; wallMs: number }[]]))
  for (let i = 0; i < settings.coldStartSamples; i++) {
    baseline.push(sample({ name: 'node', specifiers: [], loadedFrom: 'node_modules', execArgv: [] }).wallMs)
    for (const target of targets) samples.get(target.name)?.push(sample(target))
  }
  const nodeBaselineMs = round(median(baseline))
  const imports = targets.map((target): ImportResult => {
    const list = samples.get(target.name) ?? []
    const result: ImportResult = {
      name: target.name,
      specifiers: target.specifiers.map((s) => s.replace(pathToFileURL(ROOT).href, '')),
      loadedFrom: target.loadedFrom,
      importMs: list.map((s) => round(s.importMs)),
      medianImportMs: round(median(list.map((s) => s.importMs))),
      medianProcessOverheadMs: round(median(list.map((s) => s.wallMs)) - nodeBaselineMs),
    }
    log(
      `  import ${result.name.padEnd(36)} ${result.medianImportMs} ms (process +${result.medianProcessOverheadMs} ms) [${result.loadedFrom}]`,
    )
    return result
  })
  const firstRequest = await measureFirstRequest(env, settings, core, log)
  const bundles = await bundleHandlers(log)
  const glideInstall = measureGlideInstall()
  if (glideInstall) {
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`
    log(
      `  installed ${glideInstall.glidePackages.map((p) => `${p.name} ${mib(p.bytes)}`).join(', ')}; with its dependencies ${mib(glideInstall.glide.bytes)}${glideInstall.iovalkey ? `; iovalkey with its dependencies ${mib(glideInstall.iovalkey.bytes)}` : ''}`,
    )
  } else log('  @valkey/valkey-glide is not installed: no GLIDE install size')
  return { nodeBaselineMs, imports, coreDist, bundles, firstRequest, glideInstall }
}
