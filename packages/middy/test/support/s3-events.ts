import type { S3EventBridgeEvent, S3NotificationEvent } from '@valkey-s3-cache/core'
import { nextSequencer, objectCreatedEvent } from '@valkey-s3-cache/testkit'

/** S3 → Lambda: an `ObjectCreated:Put` of `key`, URL-encoded as a form value (testkit's, shared with the demo). */
export function s3Notification(
  bucket: string,
  key: string,
  sequencer = nextSequencer(),
): S3NotificationEvent {
  return objectCreatedEvent(bucket, { key }, sequencer) as S3NotificationEvent
}

/** S3 → EventBridge → Lambda: the key as it is. */
export function s3EventBridge(bucket: string, key: string, sequencer = nextSequencer()): S3EventBridgeEvent {
  return {
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: bucket }, object: { key, sequencer } },
  }
}
