import { existsSync, readFileSync } from 'node:fs'

const ROOT = new URL('../../', import.meta.url)
const PACKAGES = [
  '@valkey-s3-cache/core',
  'iovalkey',
  '@valkey/valkey-glide',
  'ioredis',
  'bentocache',
  'cache-manager',
  'keyv',
  '@keyv/valkey',
  '@epic-web/cachified',
  'lru-cache',
  'zod',
  '@aws-sdk/client-s3',
  's3rver',
  'esbuild',
  'vega',
  'vega-lite',
]

/** Installed versions of the packages under test (bench's own node_modules first, then the root's). */
export function installedVersions(): Record<string, string> {
  const versions: Record<string, string> = {}
  for (const name of PACKAGES) {
    for (const base of ['bench/node_modules/', 'node_modules/']) {
      const file = new URL(`${base}${name}/package.json`, ROOT)
      if (!existsSync(file)) continue
      versions[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
      break
    }
  }
  return versions
}
