import type { Redis } from 'iovalkey'
import type { Engine } from '../../src'

/** Every engine the testkit runs; the server tests run once per engine. */
export const ENGINES = ['valkey', 'redis'] as const satisfies readonly Engine[]

/**
 * The engine and version a running server reports in `INFO server`: Valkey names itself
 * (`server_name:valkey`, `valkey_version`), Redis OSS has only `redis_version`.
 */
export async function reportedEngine(client: Redis): Promise<{ engine: Engine; version: string }> {
  const info = await client.info('server')
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim()
  if (field('server_name') === 'valkey') return { engine: 'valkey', version: field('valkey_version') ?? '' }
  return { engine: 'redis', version: field('redis_version') ?? '' }
}
