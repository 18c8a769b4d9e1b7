import { describe, expect, it } from 'vitest'
import { configFromEnv } from '../src/config'

describe('configFromEnv', () => {
  it('reads every variable', () => {
    const config = configFromEnv({
      BUCKET: 'docs',
      VALKEY_URL: 'valkeys://app@cache.example.com:6379',
      VALKEY_PASSWORD: 'secret',
      VALKEY_CLUSTER: 'true',
      CACHE_TTL: '10m',
      CACHE_STALE_TTL: '30000',
      HTTP_CACHE_TTL: '15s',
      CACHE_KEY_PREFIX: 'app:',
      CORS_ORIGIN: 'https://app.example.com',
      EMF_METRICS: 'true',
      METRICS_NAMESPACE: 'Objects',
      AWS_LAMBDA_FUNCTION_NAME: 'objects-fn',
      S3_ENDPOINT: 'http://127.0.0.1:4569',
      S3_FORCE_PATH_STYLE: 'true',
      API_TOKEN_SHA256: `${'A'.repeat(64)}, ${'0'.repeat(64)}`,
    })
    expect(config).toMatchObject({
      bucket: 'docs',
      valkey: { url: 'valkeys://app@cache.example.com:6379', password: 'secret', cluster: true },
      ttl: '10m',
      staleTtl: 30000,
      httpTtl: '15s',
      keyPrefix: 'app:',
      corsOrigin: 'https://app.example.com',
      emfMetrics: true,
      metricsNamespace: 'Objects',
      serviceName: 'objects-fn',
      s3Endpoint: 'http://127.0.0.1:4569',
      s3ForcePathStyle: true,
      apiTokenSha256: ['a'.repeat(64), '0'.repeat(64)],
    })
  })

  it('reads the password from Secrets Manager at each connection with VALKEY_PASSWORD_SECRET_ARN', () => {
    const config = configFromEnv({
      BUCKET: 'b',
      VALKEY_URL: 'valkeys://app@cache.example.com:6379',
      VALKEY_PASSWORD_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:valkey-app',
    })
    expect(typeof config.valkey).toBe('object')
    const valkey = config.valkey as Exclude<typeof config.valkey, string | undefined>
    expect(valkey.url).toBe('valkeys://app@cache.example.com:6379')
    expect(valkey.password).toBeUndefined()
    expect(typeof valkey.credentials).toBe('function')
    expect(() => configFromEnv({ BUCKET: 'b', VALKEY_PASSWORD_SECRET_ARN: 'arn:x' })).toThrow('VALKEY_URL')
    expect(() =>
      configFromEnv({
        BUCKET: 'b',
        VALKEY_URL: 'valkey://h:6379',
        VALKEY_PASSWORD: 'p',
        VALKEY_PASSWORD_SECRET_ARN: 'arn:x',
      }),
    ).toThrow('VALKEY_PASSWORD_SECRET_ARN')
  })

  it('needs only BUCKET; without VALKEY_URL the cache uses its memory store', () => {
    const config = configFromEnv({ BUCKET: 'docs' })
    expect(config.bucket).toBe('docs')
    expect(config.valkey).toBeUndefined()
    expect(config.emfMetrics).toBeUndefined()
    expect(config.apiTokenSha256).toBeUndefined()
  })

  it.each([
    [{}, /"BUCKET": is required/],
    [{ BUCKET: ' ' }, /"BUCKET": is required/],
    [{ BUCKET: 'b', CACHE_TTL: '5 minutes' }, /"CACHE_TTL"/],
    [{ BUCKET: 'b', EMF_METRICS: 'yes' }, /"EMF_METRICS": expected true or false/],
    [{ BUCKET: 'b', CORS_ORIGIN: 'https://a.com,https://b.com' }, /"CORS_ORIGIN"/],
    [{ BUCKET: 'b', S3_ENDPOINT: 'not a url' }, /"S3_ENDPOINT"/],
    [{ BUCKET: 'b', VALKEY_URL: 'http://x' }, /VALKEY_URL/],
    [{ BUCKET: 'b', API_TOKEN_SHA256: 'reader-token' }, /"API_TOKEN_SHA256": expected SHA-256 digests/],
    [{ BUCKET: 'b', API_TOKEN_SHA256: `${'a'.repeat(64)},` }, /"API_TOKEN_SHA256"/],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => configFromEnv(env)).toThrow(message)
  })
})
