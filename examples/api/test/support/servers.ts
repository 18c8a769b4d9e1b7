import { PutObjectCommand } from '@aws-sdk/client-s3'
import {
  type S3Server,
  startS3,
  startValkey,
  uniqueKey as testkitUniqueKey,
  type ValkeyServer,
} from '@valkey-s3-cache/testkit'

export interface Servers {
  s3: S3Server
  valkey: ValkeyServer
  put(key: string, body: string, contentType?: string): Promise<void>
  stop(): Promise<void>
}

/** A real S3-compatible server and a real valkey-server, on free loopback ports. */
export async function startServers(): Promise<Servers> {
  const [s3, valkey] = await Promise.all([startS3({ bucket: 'objects' }), startValkey()])
  return {
    s3,
    valkey,
    async put(key, body, contentType = 'application/json') {
      await s3.client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, ContentType: contentType }),
      )
    },
    async stop() {
      await Promise.all([s3.stop(), valkey.stop()])
    },
  }
}

/** An S3 key no other test uses (the servers are shared by the tests of a file). */
export const uniqueKey = (label = 'doc') => testkitUniqueKey(label)
