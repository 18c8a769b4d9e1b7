import { createHash } from 'node:crypto'
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

  it('changes an object atomically, as S3 does: a GET during PUTs reads one whole version and its own ETag', async () => {
    const key = 'atomic/object.json'
    const body = (v: number) => JSON.stringify({ v, pad: String(v).repeat(200_000) })
    const written = new Set([body(0)])
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body(0) }))
    const reads: Promise<{ text: string; etag: string | undefined }>[] = []
    for (let v = 1; v <= 8; v++) {
      written.add(body(v))
      const put = s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body(v) }))
      for (let i = 0; i < 4; i++) {
        reads.push(
          s3.client
            .send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))
            .then(async (got) => ({ text: (await got.Body?.transformToString()) ?? '', etag: got.ETag })),
        )
      }
      await put
    }
    for (const { text, etag } of await Promise.all(reads)) {
      expect(written.has(text)).toBe(true)
      expect(etag).toBe(`"${createHash('md5').update(text).digest('hex')}"`)
    }
  })

  it('listens on a loopback port that is not the s3rver default', () => {
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(s3.port).not.toBe(4568)
  })
})
