import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countS3Calls, type S3Server, startS3 } from '../src'

describe('in-process S3 server', () => {
  let s3: S3Server
  beforeAll(async () => {
    s3 = await startS3()
  })
  afterAll(() => s3.stop())

  it('stores and returns an object, and counts the calls', async () => {
    const calls = countS3Calls(s3.client)
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'a/b.json', Body: '{"a":1}' }))
    const got = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'a/b.json' }))
    expect(await got.Body?.transformToString()).toBe('{"a":1}')
    expect(got.ETag).toMatch(/^"[0-9a-f]+"$/)
    expect(calls.count('GetObjectCommand')).toBe(1)
    expect(calls.count('PutObjectCommand')).toBe(1)
  })

  it('answers a conditional GET with a matching ETag with 304', async () => {
    const first = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'a/b.json' }))
    await first.Body?.transformToByteArray()
    await expect(
      s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'a/b.json', IfNoneMatch: first.ETag })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 304 } })
  })

  it('listens on a loopback port that is not the s3rver default', () => {
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(s3.port).not.toBe(4568)
  })
})
