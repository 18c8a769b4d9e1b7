// The bucket's event notification: what S3 sends an invalidator function (S3 → Lambda) when an object
// is written, in the shape of https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
// (our own values). Used by the demo and the middy tests.
import { randomBytes } from 'node:crypto'
import type { S3Event } from 'aws-lambda'

let last = BigInt(Date.now()) << 20n

/** An increasing hex sequencer, as S3 gives the events of one key (later event, greater sequencer). */
export function nextSequencer(): string {
  last += 1n
  return last.toString(16).toUpperCase().padStart(18, '0')
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase()

/** The `ObjectCreated:Put` notification of one PutObject. The key is URL-encoded as a form value, as S3 does. */
export function objectCreatedEvent(
  bucket: string,
  object: { key: string; size?: number; eTag?: string },
  sequencer = nextSequencer(),
): S3Event {
  return objectEvent('ObjectCreated:Put', bucket, object, sequencer)
}

/** The `ObjectRemoved:Delete` notification of one DeleteObject. */
export function objectRemovedEvent(
  bucket: string,
  object: { key: string },
  sequencer = nextSequencer(),
): S3Event {
  return objectEvent('ObjectRemoved:Delete', bucket, object, sequencer)
}

function objectEvent(
  eventName: 'ObjectCreated:Put' | 'ObjectRemoved:Delete',
  bucket: string,
  object: { key: string; size?: number; eTag?: string },
  sequencer: string,
): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName,
        userIdentity: { principalId: 'AWS:AIDADEMOWRITER0000000' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': hex(8), 'x-amz-id-2': randomBytes(32).toString('base64') },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'objects-invalidator',
          bucket: {
            name: bucket,
            ownerIdentity: { principalId: 'A3DEMOOWNER000' },
            arn: `arn:aws:s3:::${bucket}`,
          },
          object: {
            key: encodeURIComponent(object.key).replace(/%20/g, '+').replace(/%2F/gi, '/'),
            size: object.size ?? 0,
            eTag: (object.eTag ?? '').replace(/"/g, ''),
            sequencer,
          },
        },
      },
    ],
  }
}
