import { describe, expect, it } from 'vitest'
import { InvalidEventError } from '../src'
import { decodeS3Key, parseS3ChangeEvent } from '../src/s3-events/parse'
import { certainlyNotNewer, normalizeSequencer } from '../src/sequencer'
import { eventBridge, notification, s3EncodeKey, sqs } from './support/events'

const changesOf = (event: unknown) => parseS3ChangeEvent(event).units.flatMap((unit) => unit.changes)

describe('S3 event keys', () => {
  it('decodes notification keys as form values: + is a space, %2B a plus', () => {
    expect(decodeS3Key('red+flower.jpg')).toBe('red flower.jpg')
    expect(decodeS3Key('a%2Bb+c')).toBe('a+b c')
    expect(decodeS3Key('docs/%C3%BC%E2%9C%93+%25.json')).toBe('docs/ü✓ %.json')
    expect(() => decodeS3Key('bad%E0%A4%A')).toThrow(URIError)
  })

  it('round-trips awkward keys through the encoding S3 uses', () => {
    for (const key of ['a b/c+d.json', '100%/x', 'ключ/ü ✓.json', "it's (1) *.txt", 'a%2Bb']) {
      expect(decodeS3Key(s3EncodeKey(key))).toBe(key)
    }
  })

  it('leaves EventBridge keys as they are: they are not URL-encoded', () => {
    const [change] = changesOf(eventBridge({ bucket: 'b', key: 'a+b%20c.json' }))
    expect(change).toMatchObject({ type: 'created', key: 'a+b%20c.json' })
  })

  it('reports a malformed escape as an invalid record, not a crash', () => {
    const event = notification({ bucket: 'b', key: 'x' })
    const record = event.Records[0]
    if (record) record.s3.object.key = '%ZZ'
    expect(changesOf(event)).toMatchObject([{ type: 'invalid', bucket: 'b' }])
  })
})

describe('S3 event kinds', () => {
  const named = (eventName: string) => {
    const event = notification({ bucket: 'b', key: 'k' })
    if (event.Records[0]) event.Records[0].eventName = eventName
    return changesOf(event)[0]?.type
  }

  it('applies created and removed records and ignores the others', () => {
    expect(named('ObjectCreated:Put')).toBe('created')
    expect(named('ObjectCreated:CompleteMultipartUpload')).toBe('created')
    expect(named('s3:ObjectCreated:Copy')).toBe('created')
    expect(named('ObjectRemoved:Delete')).toBe('removed')
    expect(named('ObjectRemoved:DeleteMarkerCreated')).toBe('removed')
    expect(named('LifecycleExpiration:Delete')).toBe('removed')
    expect(named('ObjectRestore:Completed')).toBe('ignored')
    expect(named('ObjectTagging:Put')).toBe('ignored')
  })

  it('reads EventBridge detail types and ignores other sources', () => {
    expect(changesOf(eventBridge({ bucket: 'b', key: 'k', type: 'removed' }))[0]?.type).toBe('removed')
    const tags = { ...eventBridge({ bucket: 'b', key: 'k' }), 'detail-type': 'Object Tags Added' }
    expect(changesOf(tags)[0]?.type).toBe('ignored')
    expect(changesOf({ ...eventBridge({ bucket: 'b', key: 'k' }), source: 'my.app' })[0]?.type).toBe(
      'ignored',
    )
  })

  it('reads SQS bodies: notifications, EventBridge events, SNS envelopes; ignores the S3 test event', () => {
    const n = notification({ bucket: 'b', key: 'a b' })
    const event = sqs(
      n,
      eventBridge({ bucket: 'b', key: 'a b' }),
      { Type: 'Notification', Message: JSON.stringify(n) },
      { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' },
      'not json',
      { hello: 'world' },
    )
    const parsed = parseS3ChangeEvent(event)
    expect(parsed.source).toBe('sqs')
    expect(parsed.units.map((unit) => [unit.messageId, unit.changes.map((c) => c.type)])).toEqual([
      ['msg-0', ['created']],
      ['msg-1', ['created']],
      ['msg-2', ['created']],
      ['msg-3', ['ignored']],
      ['msg-4', ['invalid']],
      ['msg-5', ['invalid']],
    ])
    expect(parsed.units.slice(0, 3).map((unit) => unit.changes[0])).toMatchObject(
      Array(3).fill({ bucket: 'b', key: 'a b' }),
    )
  })

  it('throws InvalidEventError for anything else', () => {
    for (const event of [undefined, null, 'x', {}, { detail: {} }, { Records: 'no' }])
      expect(() => parseS3ChangeEvent(event)).toThrow(InvalidEventError)
  })
})

describe('sequencers', () => {
  it('normalizes to uppercase hex and rejects anything else', () => {
    expect(normalizeSequencer('617f08299329d189')).toBe('617F08299329D189')
    for (const bad of ['', 'xyz', '12 34', 12, undefined, 'a'.repeat(129)])
      expect(normalizeSequencer(bad)).toBeUndefined()
  })

  it('skips only a same-length sequencer that is not greater', () => {
    expect(certainlyNotNewer('0064D3901D00059241', '0064D3901D00059242')).toBe(true)
    expect(certainlyNotNewer('0064D3901D00059242', '0064D3901D00059242')).toBe(true)
    expect(certainlyNotNewer('0064D3901D00059243', '0064D3901D00059242')).toBe(false)
    // Different lengths are never certainly older: S3's guides disagree on the padding.
    expect(certainlyNotNewer('A1B2C3D4E5F678901', '0A1B2C3D4E5F678901')).toBe(false)
    expect(certainlyNotNewer('FF', '0100')).toBe(false)
  })
})
