import { InvalidEventError } from '../errors'
import { normalizeSequencer } from '../sequencer'
import type { S3ChangeEvent, S3EventOutcome } from './types'

/** What one S3 record asks for, once read. */
export type Change =
  | { type: 'created' | 'removed'; bucket: string; key: string; sequencer: string | undefined }
  | { type: 'ignored'; bucket?: string | undefined }
  | { type: 'invalid'; error: Error; bucket?: string | undefined; key?: string | undefined }

/**
 * The changes of one SQS message (reported or retried together), of one SNS notification, or of one
 * record of a direct event.
 */
export interface Unit {
  /** The SQS message's `messageId`, or the SNS notification's `MessageId`. */
  messageId: string | undefined
  changes: Change[]
}

/** The shapes `parseS3ChangeEvent` reads, named in the `InvalidEventError` of anything else. */
export const SUPPORTED_SHAPES =
  'an S3 event notification (Records[].s3), an SQS event (Records[].body), an SNS event (Records[].Sns) ' +
  'or an EventBridge S3 event (detail-type)'

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null
const invalid = (message: string, bucket?: string): Change => ({
  type: 'invalid',
  error: new InvalidEventError(message),
  bucket,
})

/**
 * S3 notification keys are URL-encoded as form values: `+` is a space, then percent escapes
 * (a literal `+` arrives as `%2B`). Throws `URIError` on a malformed escape.
 */
export function decodeS3Key(raw: string): string {
  return decodeURIComponent(raw.replace(/\+/g, ' '))
}

/**
 * The event names that change what a GET of the key returns. S3 also notifies restores
 * (`ObjectRestore:*`), storage class and tier moves (`LifecycleTransition`, `IntelligentTiering`),
 * replication progress (`Replication:*`), tags and ACLs, which leave the object's body as it was, and
 * lost RRS objects (`ReducedRedundancyLostObject`), for which the cached body is worth more than an
 * error: those records are ignored.
 */
function changeOf(eventName: string): 'created' | 'removed' | undefined {
  if (eventName.startsWith('ObjectCreated:')) return 'created'
  // `ObjectRemoved:*` never reports lifecycle deletions: S3 sends `LifecycleExpiration:Delete` (object or
  // version gone) and `LifecycleExpiration:DeleteMarkerCreated` (current version hidden) for those.
  if (eventName.startsWith('ObjectRemoved:') || eventName.startsWith('LifecycleExpiration:Delete'))
    return 'removed'
  return undefined
}

function notificationRecord(record: unknown): Change {
  if (!isObject(record) || !isObject(record.s3)) return invalid('not an S3 event record')
  const { bucket, object } = record.s3 as { bucket?: { name?: unknown }; object?: Json }
  const name = bucket?.name
  if (typeof name !== 'string' || !isObject(object) || typeof object.key !== 'string')
    return invalid('S3 event record without bucket name or object key')
  // MinIO and some emulators prefix event names with `s3:`; AWS does not.
  const type = changeOf(String(record.eventName ?? '').replace(/^s3:/, ''))
  if (type === undefined) return { type: 'ignored', bucket: name }
  let key: string
  try {
    key = decodeS3Key(object.key)
  } catch {
    return invalid(`S3 event key is not valid URL encoding: ${JSON.stringify(object.key)}`, name)
  }
  return { type, bucket: name, key, sequencer: normalizeSequencer(object.sequencer) }
}

function eventBridgeEvent(event: Json): Change {
  if (event.source !== 'aws.s3') return { type: 'ignored' }
  const detail = isObject(event.detail) ? event.detail : {}
  const name = isObject(detail.bucket) ? detail.bucket.name : undefined
  const object = isObject(detail.object) ? detail.object : {}
  if (typeof name !== 'string' || typeof object.key !== 'string')
    return invalid('EventBridge S3 event without detail.bucket.name or detail.object.key')
  const detailType = event['detail-type']
  // `Object Deleted` covers DeleteObject and lifecycle expiration, permanent or by delete marker; restore,
  // storage class, access tier, ACL and tag events leave the object as it was.
  const type =
    detailType === 'Object Created' ? 'created' : detailType === 'Object Deleted' ? 'removed' : undefined
  if (type === undefined) return { type: 'ignored', bucket: name }
  // EventBridge carries the key as it is: decoding it would corrupt keys holding `+` or `%`.
  return { type, bucket: name, key: object.key, sequencer: normalizeSequencer(object.sequencer) }
}

/** SNS envelopes that carry no notification (https://docs.aws.amazon.com/sns/latest/dg/http-subscription-confirmation-json.html). */
const SNS_CONFIRMATIONS = new Set<unknown>(['SubscriptionConfirmation', 'UnsubscribeConfirmation'])

/**
 * The changes in a message that SQS or SNS carried: an S3 notification (as S3 publishes it, or as SNS
 * forwards it with raw message delivery on), S3's test event, an EventBridge event, or, in an SQS body
 * only, any of them inside SNS's JSON envelope (SNS → SQS with raw message delivery off).
 */
function message(text: unknown, carrier: 'SQS message body' | 'SNS message'): Change[] {
  let parsed: unknown
  try {
    parsed = typeof text === 'string' ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (!isObject(parsed)) return [invalid(`${carrier} is not a JSON object`)]
  if (carrier === 'SQS message body' && parsed.Type === 'Notification' && typeof parsed.Message === 'string')
    return message(parsed.Message, 'SNS message')
  // SNS asks a queue subscribed from another account to confirm (and says when it unsubscribed): no change.
  if (carrier === 'SQS message body' && SNS_CONFIRMATIONS.has(parsed.Type)) return [{ type: 'ignored' }]
  // Sent once when a notification to SQS or SNS is configured: it names no object and changes nothing.
  if (parsed.Event === 's3:TestEvent') return [{ type: 'ignored' }]
  if (Array.isArray(parsed.Records)) return parsed.Records.map(notificationRecord)
  if ('detail-type' in parsed) return [eventBridgeEvent(parsed)]
  return [invalid(`${carrier} is not an S3 event`)]
}

const isSqsRecord = (record: unknown): boolean =>
  isObject(record) &&
  (record.eventSource === 'aws:sqs' || (typeof record.messageId === 'string' && 'body' in record))

const isSnsRecord = (record: unknown): boolean =>
  isObject(record) && (record.EventSource === 'aws:sns' || isObject(record.Sns))

const isS3Record = (record: unknown): boolean =>
  isObject(record) && (record.eventSource === 'aws:s3' || isObject(record.s3))

function sqsUnit(record: unknown): Unit {
  const messageId = isObject(record) && typeof record.messageId === 'string' ? record.messageId : undefined
  return { messageId, changes: message(isObject(record) ? record.body : undefined, 'SQS message body') }
}

function snsUnit(record: unknown): Unit {
  const sns = isObject(record) && isObject(record.Sns) ? record.Sns : undefined
  const messageId = typeof sns?.MessageId === 'string' ? sns.MessageId : undefined
  if (sns === undefined) return { messageId, changes: [invalid('not an SNS event record')] }
  return { messageId, changes: message(sns.Message, 'SNS message') }
}

/** A few words on what an unsupported event is (its shape only: never a value). */
function describe(event: unknown): string {
  if (!isObject(event)) return event === null ? 'null' : typeof event
  const keys = (value: Json) => Object.keys(value).slice(0, 6).join(', ') || 'none'
  const first = Array.isArray(event.Records) ? event.Records[0] : undefined
  if (Array.isArray(event.Records))
    return isObject(first) ? `Records whose first record has keys ${keys(first)}` : 'Records of no objects'
  return `an object with keys ${keys(event)}`
}

/**
 * Reads an S3 event notification, an SQS or SNS event carrying S3 notifications, or an EventBridge S3
 * event; throws `InvalidEventError` naming the supported shapes for anything else.
 */
export function parseS3ChangeEvent(event: S3ChangeEvent | unknown): {
  source: S3EventOutcome['source']
  units: Unit[]
} {
  if (isObject(event) && Array.isArray(event.Records)) {
    const records: unknown[] = event.Records
    // Lambda never mixes sources in one event; a stray record of another shape fails on its own.
    if (records.some(isSqsRecord)) return { source: 'sqs', units: records.map(sqsUnit) }
    if (records.some(isSnsRecord)) return { source: 'sns', units: records.map(snsUnit) }
    if (records.length === 0 || records.some(isS3Record)) {
      return {
        source: 's3',
        units: records.map((record) => ({ messageId: undefined, changes: [notificationRecord(record)] })),
      }
    }
  }
  if (isObject(event) && 'detail-type' in event) {
    return { source: 'eventbridge', units: [{ messageId: undefined, changes: [eventBridgeEvent(event)] }] }
  }
  if (isObject(event) && event.Event === 's3:TestEvent') return { source: 's3', units: [] }
  throw new InvalidEventError(`expected ${SUPPORTED_SHAPES}; got ${describe(event)}`)
}
