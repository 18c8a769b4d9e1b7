import { InvalidEventError } from '../errors'
import { normalizeSequencer } from '../sequencer'
import type { S3ChangeEvent } from './types'

/** What one S3 record asks for, once read. */
export type Change =
  | { type: 'created' | 'removed'; bucket: string; key: string; sequencer: string | undefined }
  | { type: 'ignored'; bucket?: string | undefined }
  | { type: 'invalid'; error: Error; bucket?: string | undefined; key?: string | undefined }

/** The changes of one SQS message (reported or retried together), or of one record of a direct event. */
export interface Unit {
  messageId: string | undefined
  changes: Change[]
}

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

function notificationRecord(record: unknown): Change {
  if (!isObject(record) || !isObject(record.s3)) return invalid('not an S3 event record')
  const { bucket, object } = record.s3 as { bucket?: { name?: unknown }; object?: Json }
  const name = bucket?.name
  if (typeof name !== 'string' || !isObject(object) || typeof object.key !== 'string')
    return invalid('S3 event record without bucket name or object key')
  // MinIO and some emulators prefix event names with `s3:`; AWS does not.
  const eventName = String(record.eventName ?? '').replace(/^s3:/, '')
  const type = eventName.startsWith('ObjectCreated:')
    ? 'created'
    : eventName.startsWith('ObjectRemoved:') || eventName.startsWith('LifecycleExpiration:Delete')
      ? 'removed'
      : undefined
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
  const type =
    detailType === 'Object Created' ? 'created' : detailType === 'Object Deleted' ? 'removed' : undefined
  if (type === undefined) return { type: 'ignored', bucket: name }
  // EventBridge carries the key as it is: decoding it would corrupt keys holding `+` or `%`.
  return { type, bucket: name, key: object.key, sequencer: normalizeSequencer(object.sequencer) }
}

/** The changes in an SQS message body: an S3 notification, an EventBridge event, or either inside an SNS envelope. */
function messageBody(body: unknown, depth = 0): Change[] {
  let parsed: unknown
  try {
    parsed = typeof body === 'string' ? JSON.parse(body) : undefined
  } catch {
    parsed = undefined
  }
  if (!isObject(parsed)) return [invalid('SQS message body is not a JSON object')]
  if (parsed.Type === 'Notification' && typeof parsed.Message === 'string' && depth === 0)
    return messageBody(parsed.Message, 1)
  if (parsed.Event === 's3:TestEvent') return [{ type: 'ignored' }]
  if (Array.isArray(parsed.Records)) return parsed.Records.map(notificationRecord)
  if ('detail-type' in parsed) return [eventBridgeEvent(parsed)]
  return [invalid('SQS message body is not an S3 event')]
}

const isSqsRecord = (record: unknown): boolean =>
  isObject(record) &&
  (record.eventSource === 'aws:sqs' || (typeof record.messageId === 'string' && 'body' in record))

/** Reads an S3 notification, EventBridge or SQS event; throws `InvalidEventError` for anything else. */
export function parseS3ChangeEvent(event: S3ChangeEvent | unknown): {
  source: 's3' | 'eventbridge' | 'sqs'
  units: Unit[]
} {
  if (isObject(event) && Array.isArray(event.Records)) {
    const records: unknown[] = event.Records
    if (records.some(isSqsRecord)) {
      return {
        source: 'sqs',
        units: records.map((record) => ({
          messageId: isObject(record) && typeof record.messageId === 'string' ? record.messageId : undefined,
          changes: messageBody(isObject(record) ? record.body : undefined),
        })),
      }
    }
    return {
      source: 's3',
      units: records.map((record) => ({ messageId: undefined, changes: [notificationRecord(record)] })),
    }
  }
  if (isObject(event) && 'detail-type' in event) {
    return { source: 'eventbridge', units: [{ messageId: undefined, changes: [eventBridgeEvent(event)] }] }
  }
  if (isObject(event) && event.Event === 's3:TestEvent') return { source: 's3', units: [] }
  throw new InvalidEventError('expected an S3 event notification, an EventBridge S3 event or an SQS event')
}
