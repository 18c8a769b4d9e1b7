import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { countS3Calls } from '@valkey-s3-cache/testkit'
import { type Endpoints, s3ClientFor } from '../env'

/** The origin of the peers: an S3 GetObject of the document, counted. */
export interface Origin {
  readonly s3: S3Client
  loadText(key: string): Promise<string>
  loadJson(key: string): Promise<unknown>
  calls(): number
  close(): void
}

/** A fresh S3 client whose GetObject calls are counted (core gets one too, so all are counted alike). */
export function countedS3(endpoints: Endpoints): { s3: S3Client; calls: () => number } {
  const s3 = s3ClientFor(endpoints)
  const counter = countS3Calls(s3)
  return { s3, calls: () => counter.count('GetObjectCommand') }
}

export function makeOrigin(endpoints: Endpoints): Origin {
  const { s3, calls } = countedS3(endpoints)
  const loadText = async (key: string) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: endpoints.bucket, Key: key }))
    return (await response.Body?.transformToString('utf-8')) ?? ''
  }
  return {
    s3,
    loadText,
    loadJson: async (key) => JSON.parse(await loadText(key)),
    calls,
    close: () => s3.destroy(),
  }
}
