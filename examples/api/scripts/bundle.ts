import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BuildOptions, build, type Metafile } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

/** The image's two handlers: `index.handler` (the API, the image's CMD) and `invalidator.handler` (S3 events). */
export const ENTRIES = { index: 'src/index.ts', invalidator: 'src/invalidator.ts' } as const
export type EntryName = keyof typeof ENTRIES

/**
 * The bundling command of docs/deploy.md and the core and middy READMEs, as esbuild options:
 * `esbuild <entry> --bundle --platform=node --target=node22 --format=esm '--external:@aws-sdk/*'
 * --banner:js=…createRequire…` with a `.mjs` output. An ES module handler may `await cache.connect()` at
 * the top level (CommonJS output refuses top-level await); the banner gives the bundle the `require`
 * that CommonJS dependencies (iovalkey) call for Node.js built-ins.
 */
export const LAMBDA_ESM_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  external: ['@aws-sdk/*'],
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  outExtension: { '.js': '.mjs' },
} as const satisfies BuildOptions

export interface Bundle {
  /** The directory the Dockerfile copies: `index.mjs`, `invalidator.mjs` and their source maps. */
  outdir: string
  /** Each entry's output file and its size in bytes. */
  entries: Record<EntryName, { file: string; bytes: number }>
  metafile: Metafile
}

/**
 * Bundles each entry (src/index.ts, src/invalidator.ts) into one minified ES module (`.mjs`) for the
 * Lambda Node.js runtime, with {@link LAMBDA_ESM_OPTIONS} (the documented command) plus minification
 * and source maps. Both go into the same image (or zip); the invalidator's function overrides the CMD
 * (or names `invalidator.handler`).
 *
 * `@aws-sdk/*` stays out: the runtime (and the `public.ecr.aws/lambda/nodejs` image) ships AWS SDK
 * v3 in /var/runtime/node_modules, on its NODE_PATH, where Lambda's runtime also resolves the imports
 * of ES modules (plain Node.js does not: test/bundle.test.ts adds that resolution as Lambda does).
 * Everything else (middy, zod, iovalkey, the cache) is inside each bundle: the image needs no node_modules.
 */
export async function buildBundle(outdir = join(root, 'dist')): Promise<Bundle> {
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)])),
    outdir,
    ...LAMBDA_ESM_OPTIONS,
    external: [...LAMBDA_ESM_OPTIONS.external],
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false, // the map only has to turn minified positions into src/*.ts lines
    legalComments: 'none',
    // Resolves @valkey-s3-cache/* to the workspace sources (tsconfig.base.json paths): no package build needed.
    tsconfig: join(root, 'tsconfig.json'),
    metafile: true,
    logLevel: 'warning',
  })
  const entry = (name: EntryName) => {
    const output = Object.entries(result.metafile.outputs).find(([path]) => basename(path) === `${name}.mjs`)
    return { file: join(outdir, `${name}.mjs`), bytes: output?.[1].bytes ?? 0 }
  }
  return {
    outdir,
    entries: { index: entry('index'), invalidator: entry('invalidator') },
    metafile: result.metafile,
  }
}
