import type { S3EventBridgeEvent, S3NotificationEvent, S3NotificationRecord, SqsEvent } from '../../src'

let last = BigInt(`0x${Date.now().toString(16)}00000000`)
/** An 18-digit uppercase hex sequencer, newer than every one before it (as S3's are, per key). */
export function nextSequencer(): string {
  last += 1n + BigInt(Math.floor(Math.random() * 1000))
  return last.toString(16).toUpperCase().padStart(18, '0')
}

/** How S3 writes a key into a notification: URL-encoded as a form value, `/` kept. */
export function s3EncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/gi, '/')
}

export interface ChangeInit {
  bucket: string
  /** The real key; encoded for notification records. */
  key: string
  type?: 'created' | 'removed'
  sequencer?: string | undefined
}

export function notificationRecord(init: ChangeInit): S3NotificationRecord {
  return {
    eventSource: 'aws:s3',
    eventName: init.type === 'removed' ? 'ObjectRemoved:Delete' : 'ObjectCreated:Put',
    s3: {
      bucket: { name: init.bucket },
      object: {
        key: s3EncodeKey(init.key),
        size: 10,
        ...(init.sequencer ? { sequencer: init.sequencer } : {}),
      },
    },
  }
}

/** S3 → Lambda (or the body of an SQS message from S3). */
export function notification(...changes: ChangeInit[]): S3NotificationEvent {
  return { Records: changes.map(notificationRecord) }
}

/** S3 → EventBridge → Lambda: the key is not URL-encoded. */
export function eventBridge(init: ChangeInit): S3EventBridgeEvent {
  return {
    source: 'aws.s3',
    'detail-type': init.type === 'removed' ? 'Object Deleted' : 'Object Created',
    detail: {
      bucket: { name: init.bucket },
      object: { key: init.key, ...(init.sequencer ? { sequencer: init.sequencer } : {}) },
    },
  }
}

/** An SQS batch; each body is sent as is (strings) or JSON-encoded (objects). */
export function sqs(...bodies: (string | object)[]): SqsEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `msg-${i}`,
      eventSource: 'aws:sqs',
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })),
  }
}
