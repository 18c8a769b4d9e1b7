import { afterEach, describe, expect, it } from 'vitest'
import { EngineNotFoundError, ensureEngine, findServer, startValkey } from '../src'
import { ENGINES } from './support/engines'

describe('finding the server of an engine', () => {
  const saved = process.env.REDIS_SERVER
  afterEach(() => {
    if (saved === undefined) delete process.env.REDIS_SERVER
    else process.env.REDIS_SERVER = saved
  })

  it.each(ENGINES)('finds %s-server and its CLI, with the version the binary reports', (engine) => {
    const found = ensureEngine(engine, () => {})
    expect(found.server).toMatch(new RegExp(`${engine}-server$`))
    expect(found.cli).toMatch(new RegExp(`${engine}-cli$`))
    expect(found.version).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('refuses a binary of the other engine, so a test on Redis OSS never runs Valkey', async () => {
    process.env.REDIS_SERVER = findServer('valkey')
    expect(() => ensureEngine('redis', () => {})).toThrow(EngineNotFoundError)
    await expect(startValkey({ engine: 'redis' })).rejects.toThrow(/is Valkey, not Redis/)
  })

  it('fails with install hints, never quietly, when the variable points at nothing', async () => {
    process.env.REDIS_SERVER = '/nonexistent/redis-server'
    expect(() => ensureEngine('redis', () => {})).toThrow(/apt-get install -y redis-server redis-tools/)
    await expect(startValkey({ engine: 'redis' })).rejects.toThrow(/redis-server was not found/)
  })
})
