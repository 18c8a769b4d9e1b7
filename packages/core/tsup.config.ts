import { defineConfig } from 'tsup'

const shared = { target: 'node22', platform: 'node' } as const

export default defineConfig([
  {
    ...shared,
    // dist/ is emptied by the build script: both builds below run at once and must not clean each other's files.
    // ESM library and the `valkey-s3-cache` bin in one build: with splitting, the CLI imports the
    // library's code from a shared chunk instead of carrying a second copy of it.
    entry: ['src/index.ts', 'src/cli.ts'],
    format: ['esm'],
    splitting: true,
    dts: { entry: 'src/index.ts' },
    clean: false,
  },
  {
    ...shared,
    entry: ['src/index.ts'],
    format: ['cjs'],
    dts: { entry: 'src/index.ts' },
    clean: false,
  },
])
