/**
 * The S3 change events `invalidateFromS3Event` accepts, typed structurally (only the fields it
 * reads), so core needs no `@types/aws-lambda`; the types of that package are assignable to these.
 */

/** One record of an S3 event notification (S3 → Lambda, or inside an SQS/SNS message). */
export interface S3NotificationRecord {
  /** `aws:s3`. */
  eventSource?: string
  /**
   * `ObjectCreated:*`, `ObjectRemoved:*` and `LifecycleExpiration:*` are applied; the others (restore,
   * lifecycle transition, Intelligent-Tiering, replication, tagging, ACL, lost RRS object) leave the
   * object's body as it was and are ignored.
   */
  eventName: string
  s3: {
    bucket: { name: string }
    object: {
      /** URL-encoded as a form value: `red flower.jpg` arrives as `red+flower.jpg`. */
      key: string
      size?: number
      eTag?: string
      versionId?: string
      /** Hex string ordering the PUT and DELETE events of this key. */
      sequencer?: string
    }
  }
}

/** An S3 event notification: what S3 sends to Lambda directly, and the body of an SQS message from S3. */
export interface S3NotificationEvent {
  Records: S3NotificationRecord[]
}

/** The test message S3 sends once when a notification to SQS or SNS is configured; always ignored. */
export interface S3TestEvent {
  Service: string
  Event: 's3:TestEvent'
  Bucket?: string
}

/** An S3 event delivered by EventBridge (the bucket has EventBridge notifications on). */
export interface S3EventBridgeEvent {
  /** `aws.s3`. */
  source: string
  /** `Object Created` and `Object Deleted` are applied; other types are ignored. */
  'detail-type': string
  detail: {
    bucket: { name: string }
    object: {
      /** Not URL-encoded: EventBridge carries the key as it is. */
      key: string
      size?: number
      etag?: string
      'version-id'?: string
      sequencer?: string
    }
  }
}

/**
 * One SQS message whose body is an S3 notification, an EventBridge event, an S3 test event, or any of them
 * in an SNS envelope (SNS → SQS with raw message delivery off; with it on, the body is the message itself).
 */
export interface SqsRecord {
  messageId: string
  body: string
  /** `aws:sqs`. */
  eventSource?: string
}

/** A batch of SQS messages, as Lambda's SQS event source mapping delivers it. */
export interface SqsEvent {
  Records: SqsRecord[]
}

/**
 * One SNS notification as Lambda receives it (S3 → SNS → Lambda): `Message` is what was published to the
 * topic, as JSON text. `@types/aws-lambda`'s `SNSEventRecord` fits it.
 */
export interface SnsRecord {
  /** `aws:sns`. */
  EventSource?: string
  Sns: {
    /** `Notification`. */
    Type?: string
    MessageId?: string
    TopicArn?: string
    /** `Amazon S3 Notification` for the messages S3 publishes. */
    Subject?: string
    /** An S3 event notification, S3's test event, or an EventBridge S3 event, as JSON text. */
    Message: string
  }
}

/** What SNS hands Lambda: one notification per invocation, asynchronously (so a failure is retried by throwing). */
export interface SnsEvent {
  Records: SnsRecord[]
}

/** Any event `invalidateFromS3Event` and the middy `s3EventInvalidator` accept. */
export type S3ChangeEvent = S3NotificationEvent | S3EventBridgeEvent | SqsEvent | SnsEvent

/** SQS partial batch response: the messages Lambda returns to the queue (enable `ReportBatchItemFailures`). */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[]
}

/** What `invalidateFromS3Event` did, counted per S3 record. */
export interface S3EventOutcome {
  /** How the event arrived: `s3` (S3 → Lambda), `eventbridge`, `sqs` or `sns`. */
  source: 's3' | 'eventbridge' | 'sqs' | 'sns'
  /** Records whose object's entry was removed (its generation bumped). */
  applied: number
  /** Records that changed nothing: other buckets, other event types, test events, duplicates, late events. */
  ignored: number
  /** Records (or SQS messages, or SNS notifications) that could not be read or applied. */
  failed: number
  /** For `source: 'sqs'`, the messages to retry; empty otherwise. */
  batchItemFailures: { itemIdentifier: string }[]
}

/** Options of `invalidateFromS3Event` and of the middy `s3EventInvalidator`. */
export interface S3EventOptions {
  /** Buckets whose events apply; events of other buckets are ignored. Default: the cache's `bucket` only. */
  buckets?: readonly string[]
  /**
   * After removing the entry of a created object, load it into the cache at once (one S3 GetObject),
   * so the first reader finds it warm. A failed refresh leaves the entry removed. Default `false`.
   */
  refresh?: boolean
  /** Records applied at once; their commands are pipelined on the Valkey connection. Default `32`. */
  concurrency?: number
  /**
   * Receives each record that failed (and each failed refresh), for logging; `messageId` is the SQS
   * message's or the SNS notification's. Default: none.
   */
  onError?: (error: Error, record: { messageId?: string; bucket?: string; key?: string }) => void
}
