import { ensureEngine } from './find-valkey'

/**
 * vitest globalSetup: make sure the servers and CLIs of both engines exist (installing them when
 * possible) before any test; the tests run on Valkey and on Redis OSS.
 */
export default function setup(): void {
  const valkey = ensureEngine('valkey')
  const redis = ensureEngine('redis')
  process.env.VALKEY_SERVER ??= valkey.server
  process.env.REDIS_SERVER ??= redis.server
}
