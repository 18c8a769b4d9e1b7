import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeTempDir, startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createValkeyClient } from '../../src/connect/create-client'
import { fromEnv } from '../../src/connect/from-env'
import { CacheConfigError } from '../../src/errors'

const optionOf = (env: Record<string, string>): string | undefined => {
  try {
    fromEnv(env)
  } catch (error) {
    expect(error).toBeInstanceOf(CacheConfigError)
    return (error as CacheConfigError).option
  }
  return undefined
}

describe('fromEnv', () => {
  it('returns undefined without VALKEY_URL, and refuses one that is set but blank', () => {
    expect(fromEnv({})).toBeUndefined()
    for (const blank of ['', '  '])
      expect(() => fromEnv({ VALKEY_URL: blank })).toThrow(/"VALKEY_URL".*set but empty/)
  })

  it('reads every variable', () => {
    const pem = '-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----'
    expect(
      fromEnv({
        VALKEY_URL: 'valkeys://cache.example:6380',
        VALKEY_CLUSTER: 'TRUE',
        VALKEY_USERNAME: 'app',
        VALKEY_PASSWORD: 'secret',
        VALKEY_TLS_CA: pem,
        VALKEY_READ_FROM: 'replica',
        VALKEY_CONNECT_TIMEOUT: '1s',
        VALKEY_COMMAND_TIMEOUT: '100',
      }),
    ).toEqual({
      url: 'valkeys://cache.example:6380',
      cluster: true,
      username: 'app',
      password: 'secret',
      tls: { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' },
      readFrom: 'replica',
      connectTimeout: 1000,
      commandTimeout: 100,
    })
  })

  it('configures IAM from VALKEY_IAM_USER_ID, VALKEY_CACHE_NAME and AWS_REGION', () => {
    expect(
      fromEnv({
        VALKEY_URL: 'valkeys://my-cache-x.serverless.euw1.cache.amazonaws.com',
        VALKEY_IAM_USER_ID: 'app-iam',
        VALKEY_CACHE_NAME: 'my-cache',
        AWS_REGION: 'eu-west-1',
      }),
    ).toEqual({
      url: 'valkeys://my-cache-x.serverless.euw1.cache.amazonaws.com',
      iam: { userId: 'app-iam', cacheName: 'my-cache', region: 'eu-west-1' },
    })
  })

  it.each<[string, Record<string, string>]>([
    ['VALKEY_URL', { VALKEY_URL: 'http://h' }],
    ['VALKEY_URL', { VALKEY_IAM_USER_ID: 'u' }],
    ['VALKEY_CLUSTER', { VALKEY_URL: 'valkey://h', VALKEY_CLUSTER: 'yes' }],
    ['VALKEY_READ_FROM', { VALKEY_URL: 'valkey://h', VALKEY_READ_FROM: 'nearest' }],
    ['VALKEY_TLS_CA', { VALKEY_URL: 'valkey://h', VALKEY_TLS_CA: '/no/such/ca.pem' }],
    ['VALKEY_CONNECT_TIMEOUT', { VALKEY_URL: 'valkey://h', VALKEY_CONNECT_TIMEOUT: 'soon' }],
    ['VALKEY_CACHE_NAME', { VALKEY_URL: 'valkeys://h', VALKEY_IAM_USER_ID: 'u', AWS_REGION: 'r' }],
    ['AWS_REGION', { VALKEY_URL: 'valkeys://h', VALKEY_IAM_USER_ID: 'u', VALKEY_CACHE_NAME: 'c' }],
    [
      'VALKEY_URL',
      { VALKEY_URL: 'valkey://h', VALKEY_IAM_USER_ID: 'u', VALKEY_CACHE_NAME: 'c', AWS_REGION: 'r' },
    ],
    [
      'VALKEY_PASSWORD',
      {
        VALKEY_URL: 'valkeys://h',
        VALKEY_PASSWORD: 'p',
        VALKEY_IAM_USER_ID: 'u',
        VALKEY_CACHE_NAME: 'c',
        AWS_REGION: 'r',
      },
    ],
  ])('throws CacheConfigError naming %s', (variable, env) => {
    expect(optionOf(env)).toBe(variable)
  })
})

describe('fromEnv against a real TLS server', () => {
  let server: ValkeyServer
  beforeAll(async () => {
    server = await startValkey({ tls: true, acl: true })
  })
  afterAll(() => server.stop())

  it('connects with VALKEY_TLS_CA given as a file path', async () => {
    const caFile = join(makeTempDir('ca'), 'ca.pem')
    writeFileSync(caFile, server.tls?.ca ?? '')
    const options = fromEnv({ VALKEY_URL: server.url, VALKEY_TLS_CA: caFile })
    const client = await createValkeyClient(options ?? '')
    try {
      expect(await client.ping()).toBe('PONG')
    } finally {
      client.disconnect()
    }
  })
})
