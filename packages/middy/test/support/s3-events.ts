import type { S3EventBridgeEvent, S3NotificationEvent } from '@valkey-s3-cache/core'

let last = BigInt(Date.now()) << 20n
/** An increasing hex sequencer, as S3 gives the events of one key. */
export function nextSequencer(): string {
  last += 1n
  return last.toString(16).toUpperCase().padStart(18, '0')
}

/** S3 → Lambda: the key URL-encoded as a form value. */
export function s3Notification(
  bucket: string,
  key: string,
  sequencer = nextSequencer(),
): S3NotificationEvent {
  const encoded = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/gi, '/')
  return {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key: encoded, sequencer } },
      },
    ],
  }
}

/** S3 → EventBridge → Lambda: the key as it is. */
export function s3EventBridge(bucket: string, key: string, sequencer = nextSequencer()): S3EventBridgeEvent {
  return {
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: bucket }, object: { key, sequencer } },
  }
}
