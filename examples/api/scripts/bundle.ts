import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Metafile } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

export interface Bundle {
  /** The directory the Dockerfile copies: `index.js` (the handler), its source map and a package.json. */
  outdir: string
  file: string
  bytes: number
  metafile: Metafile
}

/**
 * Bundles src/index.ts into one minified CommonJS file for the Lambda Node.js runtime.
 *
 * `@aws-sdk/*` stays out: the runtime (and the `public.ecr.aws/lambda/nodejs` image) ships AWS SDK
 * v3 in /var/runtime/node_modules, which is on its NODE_PATH, and `require` searches NODE_PATH.
 * CommonJS because `import` does not search NODE_PATH in plain Node.js (Lambda's runtime adds that
 * for ES modules, but a CommonJS bundle needs no such help, and behaves the same in tests).
 * Everything else (middy, zod, iovalkey, the cache) is inside the bundle: the image needs no node_modules.
 */
export async function buildBundle(outdir = join(root, 'dist')): Promise<Bundle> {
  const file = join(outdir, 'index.js')
  const result = await build({
    entryPoints: [join(root, 'src/index.ts')],
    outfile: file,
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
  // The package is "type": "module"; this makes Node.js read index.js as CommonJS here and in the image.
  writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n')
  const output =
    result.metafile.outputs[
      Object.keys(result.metafile.outputs).find((name) => name.endsWith('index.js')) ?? ''
    ]
  return { outdir, file, bytes: output?.bytes ?? 0, metafile: result.metafile }
}
