import { existsSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export interface BundleResult {
  name: string
  entry: string
  bytes?: number
  gzipBytes?: number
  /** The largest packages in the bundle, bytes of output. */
  largest?: { name: string; bytes: number }[]
  error?: string
  /** Packages left external besides `@aws-sdk/*` (the deployment ships them in node_modules). */
  external?: string[]
  /** Whether any file of `@valkey/valkey-glide*` went into the bundle. */
  bundlesGlide?: boolean
  /** Whether the output names `@valkey/valkey-glide` (core's `import(specifier)`, resolved at run time, or a kept-external import). */
  namesGlide?: boolean
}

const ROOT = new URL('../../../', import.meta.url)

const GLIDE = '@valkey/valkey-glide'

const FIXTURES: { name: string; entry: string; external?: string[] }[] = [
  { name: 'raw iovalkey', entry: 'bench/fixtures/handler-raw.ts' },
  { name: 'core', entry: 'bench/fixtures/handler-core.ts' },
  // A native .node file cannot be bundled: GLIDE stays external, as a GLIDE deployment must keep it.
  { name: 'core on GLIDE', entry: 'bench/fixtures/handler-core-glide.ts', external: [GLIDE] },
  { name: 'bentocache', entry: 'bench/fixtures/handler-bentocache.ts' },
  { name: 'cache-manager', entry: 'bench/fixtures/handler-cache-manager.ts' },
  { name: 'cachified', entry: 'bench/fixtures/handler-cachified.ts' },
]

/** The entry of examples/api, when another engineer has written it. */
function exampleApiEntry(): string | undefined {
  const candidates = ['src/handler.ts', 'src/index.ts', 'handler.ts', 'index.ts']
  return candidates.map((c) => `examples/api/${c}`).find((path) => existsSync(new URL(path, ROOT)))
}

function packageOf(path: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (match) return match[1] as string
  return path.startsWith('packages/core') || path.includes('/packages/core/')
    ? '@valkey-s3-cache/core'
    : '(handler)'
}

async function bundle(name: string, entry: string, external: string[] = []): Promise<BundleResult> {
  try {
    const out = await build({
      entryPoints: [new URL(entry, ROOT).pathname],
      absWorkingDir: new URL('.', ROOT).pathname,
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      external: ['@aws-sdk/*', ...external],
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    const code = out.outputFiles[0]?.contents ?? new Uint8Array(0)
    const perPackage = new Map<string, number>()
    const bundlesGlide = Object.keys(out.metafile.inputs).some((path) =>
      path.includes(`node_modules/${GLIDE}`),
    )
    for (const output of Object.values(out.metafile.outputs)) {
      for (const [path, input] of Object.entries(output.inputs)) {
        const pkg = packageOf(path)
        perPackage.set(pkg, (perPackage.get(pkg) ?? 0) + input.bytesInOutput)
      }
    }
    const largest = [...perPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([pkg, bytes]) => ({ name: pkg, bytes }))
    return {
      name,
      entry,
      bytes: code.byteLength,
      gzipBytes: gzipSync(code, { level: 9 }).byteLength,
      largest,
      ...(external.length ? { external } : {}),
      bundlesGlide,
      namesGlide: Buffer.from(code).includes(GLIDE),
    }
  } catch (error) {
    return { name, entry, error: String((error as Error).message ?? error).split('\n')[0] }
  }
}

/** Minified ESM bundles of the fixture handlers (and examples/api if present), `@aws-sdk/*` external. */
export async function bundleHandlers(log: (line: string) => void): Promise<BundleResult[]> {
  const api = exampleApiEntry()
  const list = api ? [...FIXTURES, { name: 'examples/api', entry: api }] : FIXTURES
  const results: BundleResult[] = []
  for (const { name, entry, external } of list) {
    const result = await bundle(name, entry, external)
    results.push(result)
    log(
      result.error
        ? `  bundle ${name}: failed: ${result.error}`
        : `  bundle ${name.padEnd(14)} ${result.bytes} B minified, ${result.gzipBytes} B gzip, GLIDE ${result.bundlesGlide ? 'bundled' : result.namesGlide ? 'named, not bundled' : 'absent'}`,
    )
  }
  if (!api) log('  examples/api not found: not bundled')
  return results
}
