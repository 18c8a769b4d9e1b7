import { defineConfig } from 'tsup'

const shared = { target: 'node22', platform: 'node' } as const

export default defineConfig([
  {
    ...shared,
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    // Both builds run at once into dist/: this one must not delete the CLI the other just wrote.
    clean: ['!cli.js'],
  },
  {
    ...shared,
    // The `valkey-s3-cache` bin: ESM only (top-level await), not reachable from the package's exports.
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    clean: false,
  },
])
