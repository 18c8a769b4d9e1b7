import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

// Workspaces import each other's TypeScript sources directly, so tests never need a build.
const alias = {
  '@valkey-s3-cache/core': source('./packages/core/src/index.ts'),
  '@valkey-s3-cache/middy': source('./packages/middy/src/index.ts'),
  '@valkey-s3-cache/otel': source('./packages/otel/src/index.ts'),
  '@valkey-s3-cache/testkit': source('./packages/testkit/src/index.ts'),
}

// `*.test-d.ts` files are type-level tests: vitest runs tsc over them as part of `npm test`.
const workspace = (name: string, root: string) => ({
  extends: true as const,
  test: {
    name,
    root,
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
})

export default defineConfig({
  resolve: { alias },
  test: {
    globalSetup: [source('./packages/testkit/src/global-setup.ts')],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      workspace('testkit', 'packages/testkit'),
      workspace('core', 'packages/core'),
      workspace('middy', 'packages/middy'),
      workspace('otel', 'packages/otel'),
      workspace('example-api', 'examples/api'),
      workspace('example-local', 'examples/local'),
      workspace('infra-cdk', 'infra-examples/cdk'),
      workspace('infra-sam', 'infra-examples/sam'),
      workspace('bench', 'bench'),
      workspace('invariants', 'invariants'),
      workspace('docs', 'docs'),
    ].filter((project) => existsSync(source(`./${project.test.root}/test`))),
  },
})
