import { describe, expect, it } from 'vitest'
import { TokenBucket } from '../src/gateway/token-bucket'

describe('TokenBucket', () => {
  it('allows a burst, then one request per 1/rate seconds', () => {
    const bucket = new TokenBucket(2, 3, 0)
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ])
    expect(bucket.take(499)).toBe(false) // 0.998 tokens
    expect(bucket.take(500)).toBe(true) // 1 token after 500 ms at 2/s
    expect(bucket.take(500)).toBe(false)
  })

  it('never holds more than the burst, however long it was idle', () => {
    const bucket = new TokenBucket(10, 2, 0)
    expect(bucket.available(60_000)).toBe(2)
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([true, true, false])
  })

  it('ignores a clock that steps back', () => {
    const bucket = new TokenBucket(1, 1, 10_000)
    expect(bucket.take(10_000)).toBe(true)
    expect(bucket.take(5_000)).toBe(false)
    expect(bucket.take(10_999)).toBe(false)
    expect(bucket.take(11_000)).toBe(true)
  })

  it('refuses settings API Gateway would refuse', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(/rate/)
    expect(() => new TokenBucket(1, 0)).toThrow(/burst/)
    expect(() => new TokenBucket(1, 1.5)).toThrow(/burst/)
  })
})
