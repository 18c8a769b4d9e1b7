import { writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Metafile } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

/** The image's two handlers: `index.handler` (the API, the image's CMD) and `invalidator.handler` (S3 events). */
export const ENTRIES = { index: 'src/index.ts', invalidator: 'src/invalidator.ts' } as const
export type EntryName = keyof typeof ENTRIES

export interface Bundle {
  /** The directory the Dockerfile copies: `index.js`, `invalidator.js`, their source maps and a package.json. */
  outdir: string
  /** Each entry's output file and its size in bytes. */
  entries: Record<EntryName, { file: string; bytes: number }>
  metafile: Metafile
}

/**
 * Bundles each entry (src/index.ts, src/invalidator.ts) into one minified CommonJS file for the Lambda
 * Node.js runtime. Both go into the same image; the invalidator's function overrides the CMD.
 *
 * `@aws-sdk/*` stays out: the runtime (and the `public.ecr.aws/lambda/nodejs` image) ships AWS SDK
 * v3 in /var/runtime/node_modules, which is on its NODE_PATH, and `require` searches NODE_PATH.
 * CommonJS because `import` does not search NODE_PATH in plain Node.js (Lambda's runtime adds that
 * for ES modules, but a CommonJS bundle needs no such help, and behaves the same in tests).
 * Everything else (middy, zod, iovalkey, the cache) is inside each bundle: the image needs no node_modules.
 */
export async function buildBundle(outdir = join(root, 'dist')): Promise<Bundle> {
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)])),
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false, // the map only has to turn minified positions into src/*.ts lines
    legalComments: 'none',
    external: ['@aws-sdk/*'],
    // Resolves @valkey-s3-cache/* to the workspace sources (tsconfig.base.json paths): no package build needed.
    tsconfig: join(root, 'tsconfig.json'),
    metafile: true,
    logLevel: 'warning',
  })
  // The package is "type": "module"; this makes Node.js read the bundles as CommonJS here and in the image.
  writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n')
  const entry = (name: EntryName) => {
    const output = Object.entries(result.metafile.outputs).find(([path]) => basename(path) === `${name}.js`)
    return { file: join(outdir, `${name}.js`), bytes: output?.[1].bytes ?? 0 }
  }
  return {
    outdir,
    entries: { index: entry('index'), invalidator: entry('invalidator') },
    metafile: result.metafile,
  }
}
