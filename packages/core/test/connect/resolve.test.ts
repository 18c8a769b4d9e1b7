import { describe, expect, it } from 'vitest'
import { createValkeyClient } from '../../src/connect/create-client'
import type { ValkeyConnectionOptions } from '../../src/connect/options'
import { resolveConnection } from '../../src/connect/resolve'
import { parseValkeyUrl } from '../../src/connect/url'
import { CacheConfigError } from '../../src/errors'

const optionOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CacheConfigError)
    return (error as CacheConfigError).option
  }
  return undefined
}

describe('parseValkeyUrl', () => {
  it.each([
    ['valkey://cache.local', { host: 'cache.local', port: undefined, tls: false, db: undefined }],
    ['redis://cache.local:7000', { host: 'cache.local', port: 7000, tls: false }],
    ['valkeys://cache.local:6380/2', { host: 'cache.local', port: 6380, tls: true, db: 2 }],
    ['rediss://[::1]:6379/0', { host: '::1', port: 6379, tls: true, db: 0 }],
  ])('parses %s', (url, expected) => {
    expect(parseValkeyUrl(url)).toMatchObject(expected)
  })

  it('percent-decodes user and password', () => {
    const parsed = parseValkeyUrl(
      `valkeys://app%2Dr%C3%A9ader:${encodeURIComponent('p@ss:/w%rd?#')}@h:6379/1`,
    )
    expect(parsed).toMatchObject({ username: 'app-réader', password: 'p@ss:/w%rd?#', db: 1, tls: true })
  })

  it('names the option and never repeats the password', () => {
    for (const url of [
      'http://u:hunter22@h',
      'valkey://u:hunter22@h/x',
      'valkey://u:%zzhunter22@h',
      'not a url hunter22',
    ]) {
      let error: unknown
      try {
        parseValkeyUrl(url, 'VALKEY_URL')
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(CacheConfigError)
      expect((error as CacheConfigError).option).toBe('VALKEY_URL')
      if (url.includes('@')) expect((error as Error).message).not.toContain('hunter22')
    }
  })
})

describe('resolveConnection', () => {
  it('applies the defaults, and explicit options win over the URL', () => {
    expect(resolveConnection('valkey://h')).toMatchObject({
      host: 'h',
      port: 6379,
      db: 0,
      tls: undefined,
      cluster: 'auto',
      readFrom: 'primary',
      connectTimeoutMs: 2000,
      commandTimeoutMs: 250,
    })
    const resolved = resolveConnection({
      url: 'valkeys://u:p@h:1/3',
      port: 2,
      username: 'v',
      password: 'q',
      tls: { servername: 'x' },
      connectTimeout: '1s',
      commandTimeout: 100,
    })
    expect(resolved).toMatchObject({
      host: 'h',
      port: 2,
      db: 3,
      username: 'v',
      password: 'q',
      connectTimeoutMs: 1000,
    })
    expect(resolved.tls).toEqual({ servername: 'x' })
  })

  it('treats ElastiCache Serverless endpoints as clusters', () => {
    expect(resolveConnection('valkeys://my-cache-abc123.serverless.use1.cache.amazonaws.com').cluster).toBe(
      true,
    )
  })

  it.each<[string, ValkeyConnectionOptions | string]>([
    ['host', {}],
    ['url', { url: 'memcached://h' }],
    ['port', { host: 'h', port: 70000 }],
    ['db', { host: 'h', db: -1 }],
    ['db', { host: 'h', db: 2, cluster: true }],
    ['cluster', { host: 'h', cluster: 'yes' as never }],
    ['readFrom', { host: 'h', readFrom: 'nearest' as never }],
    ['readFrom', { host: 'h', cluster: false, readFrom: 'replica' }],
    ['tls', { url: 'valkeys://h', tls: false }],
    ['tls', { host: 'h', tls: 'on' as never }],
    ['password', { host: 'h', username: 'app' }],
    ['credentials', { host: 'h', password: 'p', credentials: async () => ({ password: 'q' }) }],
    ['credentials', { host: 'h', credentials: 'secret' as never }],
    ['connectTimeout', { host: 'h', connectTimeout: 0 }],
    ['commandTimeout', { host: 'h', commandTimeout: 'soon' as never }],
    ['tls', { host: 'h', iam: { userId: 'u', cacheName: 'c', region: 'r' } }],
    ['iam', { host: 'h', tls: true, password: 'p', iam: { userId: 'u', cacheName: 'c', region: 'r' } }],
    ['iam.userId', { host: 'h', tls: true, iam: { cacheName: 'c', region: 'r' } as never }],
    ['iam.cacheName', { host: 'h', tls: true, iam: { userId: 'u', region: 'r' } as never }],
    [
      'iam.reauthenticateEvery',
      { host: 'h', tls: true, iam: { userId: 'u', cacheName: 'c', region: 'r', reauthenticateEvery: '13h' } },
    ],
    [
      'username',
      { host: 'h', tls: true, username: 'other', iam: { userId: 'u', cacheName: 'c', region: 'r' } },
    ],
  ])('throws CacheConfigError naming %s', (option, input) => {
    expect(optionOf(() => resolveConnection(input))).toBe(option)
  })

  it('rejects from createValkeyClient before opening any connection', async () => {
    await expect(createValkeyClient({ host: 'h', port: 0 })).rejects.toBeInstanceOf(CacheConfigError)
  })
})
