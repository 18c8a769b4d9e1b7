import { defineConfig } from 'tsup'

/** The build of a library package with one entry (middy, otel): ESM and CJS with their types, for Node 22+. */
export const libraryBuild = defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node22',
  platform: 'node',
})
