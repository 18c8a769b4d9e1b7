// The bucket's event notification the demo and the middy tests send an invalidator: S3's shape, keys encoded as S3 does.
import { describe, expect, it } from 'vitest'
import { nextSequencer, objectCreatedEvent } from '../src/s3-notifications'

describe('objectCreatedEvent', () => {
  it('is an ObjectCreated:Put record of the bucket, with the key URL-encoded as a form value', () => {
    const event = objectCreatedEvent('demo-bucket', { key: 'docs/a b+c.json', size: 12, eTag: '"abc"' }, '0A')
    expect(event.Records).toEqual([
      expect.objectContaining({
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: expect.objectContaining({
          bucket: expect.objectContaining({ name: 'demo-bucket', arn: 'arn:aws:s3:::demo-bucket' }),
          object: { key: 'docs/a+b%2Bc.json', size: 12, eTag: 'abc', sequencer: '0A' },
        }),
      }),
    ])
  })

  it('gives each event a greater sequencer, of one length, as S3 does for the events of a key', () => {
    const [a, b] = [nextSequencer(), nextSequencer()]
    expect(a).toMatch(/^[0-9A-F]{18}$/)
    expect(b.length).toBe(a.length)
    expect(BigInt(`0x${b}`)).toBeGreaterThan(BigInt(`0x${a}`))
  })
})
