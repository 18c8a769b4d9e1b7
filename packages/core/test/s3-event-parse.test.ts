import { describe, expect, it } from 'vitest'
import { InvalidEventError } from '../src'
import { decodeS3Key, parseS3ChangeEvent } from '../src/s3-events/parse'
import { certainlyNotNewer, normalizeSequencer } from '../src/sequencer'
import { readSample, type SampleName } from './fixtures/events/load'
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

  it('reads SNS events: S3 notifications, EventBridge events and the S3 test event in Message', () => {
    const n = notification({ bucket: 'b', key: 'a b', sequencer: '0A' })
    const sns = (...messages: unknown[]) => ({
      Records: messages.map((message, i) => ({
        EventSource: 'aws:sns',
        Sns: {
          Type: 'Notification',
          MessageId: `sns-${i}`,
          Message: typeof message === 'string' ? message : JSON.stringify(message),
        },
      })),
    })
    const parsed = parseS3ChangeEvent(
      sns(
        n,
        eventBridge({ bucket: 'b', key: 'a b', type: 'removed' }),
        { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' },
        // An SNS envelope is unwrapped only in an SQS body: SNS never sends one inside another.
        { Type: 'Notification', Message: JSON.stringify(n) },
        'plain text, no JSON',
      ),
    )
    expect(parsed.source).toBe('sns')
    expect(parsed.units.map((unit) => [unit.messageId, unit.changes.map((c) => c.type)])).toEqual([
      ['sns-0', ['created']],
      ['sns-1', ['removed']],
      ['sns-2', ['ignored']],
      ['sns-3', ['invalid']],
      ['sns-4', ['invalid']],
    ])
    expect(parsed.units[0]?.changes[0]).toEqual({ type: 'created', bucket: 'b', key: 'a b', sequencer: '0A' })
    expect(parsed.units[1]?.changes[0]).toMatchObject({ bucket: 'b', key: 'a b' })
    // A stray record of another shape among SNS records fails on its own.
    const stray = { Records: [...sns(n).Records, { hello: 'world' }] }
    expect(parseS3ChangeEvent(stray).units.map((unit) => unit.changes[0]?.type)).toEqual([
      'created',
      'invalid',
    ])
  })

  it('throws InvalidEventError naming the supported shapes for anything else', () => {
    const events = [
      undefined,
      null,
      'x',
      {},
      { detail: {} },
      { Records: 'no' },
      { Records: [{}] },
      { Records: [1, 2] },
      { Records: [{ eventSource: 'aws:kinesis', kinesis: { data: 'eA==' } }] },
    ]
    for (const event of events) {
      expect(() => parseS3ChangeEvent(event)).toThrow(InvalidEventError)
      expect(() => parseS3ChangeEvent(event)).toThrow(
        /an S3 event notification .*, an SQS event .*, an SNS event .* or an EventBridge S3 event/,
      )
    }
    // It describes the shape it got, never a value.
    expect(() => parseS3ChangeEvent({ Records: [{ eventSource: 'aws:kinesis', secret: 's3cr3t' }] })).toThrow(
      /got Records whose first record has keys eventSource, secret$/,
    )
    expect(() => parseS3ChangeEvent({ hello: 'value' })).toThrow(/got an object with keys hello$/)
  })
})

type Expected = { source: string; units: [string | undefined, Record<string, unknown>[]][] }

/** What each sample event reads as: the bucket, key and sequencer each names, or that it changes nothing. */
const EXPECTED: Record<Exclude<SampleName, 'dynamodb-update'>, Expected> = {
  's3-object-created-put': {
    source: 's3',
    units: [
      [
        undefined,
        [
          {
            type: 'created',
            bucket: 'vsc-sample-assets',
            key: 'images/lighthouse-2026.jpg',
            sequencer: '0069B52F4A81C3D7E2',
          },
        ],
      ],
    ],
  },
  's3-object-removed-delete': {
    source: 's3',
    units: [
      [
        undefined,
        [
          {
            type: 'removed',
            bucket: 'vsc-sample-archive',
            key: 'exports/2026-02/ledger.csv',
            sequencer: '00698A13E5B20C7F94',
          },
        ],
      ],
    ],
  },
  's3-lifecycle-expiration-delete': {
    source: 's3',
    units: [
      [
        undefined,
        [
          {
            type: 'removed',
            bucket: 'vsc-sample-logs',
            key: 'retention/2026-01-05.log',
            sequencer: '0069CD9E44F1A0B3C6',
          },
        ],
      ],
    ],
  },
  's3-lifecycle-transition': {
    source: 's3',
    units: [[undefined, [{ type: 'ignored', bucket: 'vsc-sample-logs' }]]],
  },
  's3-replication-operation-failed': {
    source: 's3',
    units: [[undefined, [{ type: 'ignored', bucket: 'vsc-sample-primary' }]]],
  },
  's3-test-event': { source: 's3', units: [] },
  'eventbridge-object-created': {
    source: 'eventbridge',
    units: [
      [
        undefined,
        [
          {
            type: 'created',
            bucket: 'vsc-sample-events',
            key: 'catalog/item-0042.json',
            sequencer: '6A2F3C1E8B47D5A0',
          },
        ],
      ],
    ],
  },
  'eventbridge-object-deleted': {
    source: 'eventbridge',
    units: [
      [
        undefined,
        [
          {
            type: 'removed',
            bucket: 'vsc-sample-events',
            key: 'catalog/item-0017.json',
            sequencer: '6A2F3C9D04E1B7F2',
          },
        ],
      ],
    ],
  },
  'eventbridge-object-deleted-lifecycle': {
    source: 'eventbridge',
    units: [
      [
        undefined,
        [
          {
            type: 'removed',
            bucket: 'vsc-sample-events',
            key: 'expired/session-88.json',
            sequencer: '6A2E1F8000000000',
          },
        ],
      ],
    ],
  },
  'eventbridge-object-restore-completed': {
    source: 'eventbridge',
    units: [[undefined, [{ type: 'ignored', bucket: 'vsc-sample-events' }]]],
  },
  'sqs-s3-object-created': {
    source: 'sqs',
    units: [
      [
        'ca47e4ed-52cf-49fb-9e34-40859ec85341',
        [
          {
            type: 'created',
            bucket: 'vsc-sample-uploads',
            key: 'contracts/agreement-7731.pdf',
            sequencer: '0069A1B3CC5E0F7248',
          },
        ],
      ],
    ],
  },
  'sqs-s3-test-event': {
    source: 'sqs',
    units: [['36647f8a-89e2-423e-a1e0-1cf759e5a54b', [{ type: 'ignored' }]]],
  },
  'sqs-sns-subscription-confirmation': {
    source: 'sqs',
    units: [['5d1a0c3e-8f2b-4c7e-9a61-3b2f4d5e6a7b', [{ type: 'ignored' }]]],
  },
  'sqs-sns-s3-object-created': {
    source: 'sqs',
    units: [
      [
        'd7e99e48-d752-4d10-bae4-e977e54d853a',
        [
          {
            type: 'created',
            bucket: 'vsc-sample-assets',
            key: 'images/lighthouse-2026.jpg',
            sequencer: '0069B52F4A81C3D7E2',
          },
        ],
      ],
    ],
  },
  'sqs-sns-raw-s3-object-removed': {
    source: 'sqs',
    units: [
      [
        '920fba5f-2870-41bc-b3f8-61a90c0cb423',
        [
          {
            type: 'removed',
            bucket: 'vsc-sample-archive',
            key: 'exports/2026-02/ledger.csv',
            sequencer: '00698A13E5B20C7F94',
          },
        ],
      ],
    ],
  },
  'sns-s3-object-created': {
    source: 'sns',
    units: [
      [
        'dfe77651-7ce4-534f-9593-14b58ec7a07b',
        [
          {
            type: 'created',
            bucket: 'vsc-sample-assets',
            key: 'images/lighthouse-2026.jpg',
            sequencer: '0069B52F4A81C3D7E2',
          },
        ],
      ],
    ],
  },
  'sns-s3-test-event': {
    source: 'sns',
    units: [['7ed18d69-c2d3-52aa-b90b-e9b5efb6f766', [{ type: 'ignored' }]]],
  },
  'sns-hello': { source: 'sns', units: [['44525a24-7aed-5093-ad9d-f7ad8f656a79', [{ type: 'invalid' }]]] },
}

describe('sample events in the shapes AWS publishes', () => {
  it.each(Object.entries(EXPECTED))('%s', (name, expected) => {
    const parsed = parseS3ChangeEvent(readSample(name as SampleName))
    expect(parsed.source).toBe(expected.source)
    expect(parsed.units.map((unit) => [unit.messageId, unit.changes])).toMatchObject(expected.units)
    expect(parsed.units.flatMap((unit) => unit.changes)).toHaveLength(
      expected.units.flatMap(([, changes]) => changes).length,
    )
  })

  it('sns-hello: a message that is no S3 event is an invalid record, not an invalid event', () => {
    const [change] = parseS3ChangeEvent(readSample('sns-hello')).units.flatMap((unit) => unit.changes)
    expect(change?.type === 'invalid' && change.error).toMatchObject({
      name: 'InvalidEventError',
      message: 'SNS message is not a JSON object',
    })
  })

  it('dynamodb-update: an event of another source throws InvalidEventError naming the shapes', () => {
    expect(() => parseS3ChangeEvent(readSample('dynamodb-update'))).toThrow(
      new InvalidEventError(
        'expected an S3 event notification (Records[].s3), an SQS event (Records[].body), an SNS event ' +
          '(Records[].Sns) or an EventBridge S3 event (detail-type); got Records whose first record has ' +
          'keys eventID, eventName, eventVersion, eventSource, awsRegion, dynamodb',
      ),
    )
  })

  it('retargets a sample to a test bucket and key everywhere, nested JSON included', () => {
    const target = { bucket: 'test-bucket', key: 'dir/k-1.json' }
    for (const name of [
      'sqs-sns-s3-object-created',
      'sns-s3-object-created',
      'sqs-s3-object-created',
    ] as const) {
      const [change] = parseS3ChangeEvent(readSample(name, target)).units.flatMap((unit) => unit.changes)
      expect(change).toMatchObject({ type: 'created', ...target })
    }
  })
})

describe('sequencers', () => {
  it('normalizes to uppercase hex and rejects anything else', () => {
    expect(normalizeSequencer('6a2f3c1e8b47d5a0')).toBe('6A2F3C1E8B47D5A0')
    for (const bad of ['', 'xyz', '12 34', 12, undefined, 'a'.repeat(129)])
      expect(normalizeSequencer(bad)).toBeUndefined()
  })

  it('skips only a same-length sequencer that is not greater', () => {
    expect(certainlyNotNewer('0064D3901D00059241', '0064D3901D00059242')).toBe(true)
    expect(certainlyNotNewer('0064D3901D00059242', '0064D3901D00059242')).toBe(true)
    expect(certainlyNotNewer('0064D3901D00059243', '0064D3901D00059242')).toBe(false)
    // Different lengths are never certainly older: S3's guides disagree on the padding.
    expect(certainlyNotNewer('069B52F4A81C3D7E2', '0069B52F4A81C3D7E2')).toBe(false)
    expect(certainlyNotNewer('FF', '0100')).toBe(false)
  })
})
