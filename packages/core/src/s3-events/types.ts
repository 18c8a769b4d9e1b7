/**
 * The S3 change events `invalidateFromS3Event` accepts, typed structurally (only the fields it
 * reads), so core needs no `@types/aws-lambda`; the types of that package are assignable to these.
 */

/** One record of an S3 event notification (S3 → Lambda, or inside an SQS/SNS message). */
export interface S3NotificationRecord {
  /** `aws:s3`. */
  eventSource?: string
  /** `ObjectCreated:Put`, `ObjectRemoved:Delete`, …; other names (restore, tagging, ACL) are ignored. */
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

/** One SQS message whose body is an S3 notification, an EventBridge event, an S3 test event, or any of them in an SNS envelope. */
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

/** Any event `invalidateFromS3Event` and the middy `s3EventInvalidator` accept. */
export type S3ChangeEvent = S3NotificationEvent | S3EventBridgeEvent | SqsEvent

/** SQS partial batch response: the messages Lambda returns to the queue (enable `ReportBatchItemFailures`). */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[]
}

/** What `invalidateFromS3Event` did, counted per S3 record. */
export interface S3EventOutcome {
  /** How the event arrived. */
  source: 's3' | 'eventbridge' | 'sqs'
  /** Records whose object's entry was removed (its generation bumped). */
  applied: number
  /** Records that changed nothing: other buckets, other event types, test events, duplicates, late events. */
  ignored: number
  /** Records (or SQS messages) that could not be read or applied. */
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
  /** Receives each record that failed (and each failed refresh), for logging. Default: none. */
  onError?: (error: Error, record: { messageId?: string; bucket?: string; key?: string }) => void
}
