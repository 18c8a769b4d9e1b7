import { S3Client } from '@aws-sdk/client-s3'
import { createS3Cache, fromEnv, ObjectNotFoundError } from '@valkey-s3-cache/core'

export const cache = createS3Cache({
  s3: new S3Client({}),
  bucket: process.env.BUCKET ?? 'my-bucket',
  valkey: fromEnv(), // VALKEY_URL, VALKEY_IAM_USER_ID, … (undefined: the in-process memory store)
  ttl: '5m', // fresh for five minutes, minus up to 10 % jitter
  staleTtl: '1m', // then served stale for a minute while S3 is asked whether it changed
  negativeTtl: '30s', // a NoSuchKey is remembered this long
  l1: { maxBytes: 16 * 1024 * 1024, ttl: '1m' }, // an in-process LRU, kept coherent across processes
  onEvent: (event) => {
    if (event.type === 'error') console.warn(event)
  },
})

export const readTitle = async (key: string): Promise<string | undefined> => {
  try {
    const text = await cache.getText(key)
    return text.split('\n')[0]
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined
    throw error
  }
}
