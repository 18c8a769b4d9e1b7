import { describe, expect, it } from 'vitest'
import { ApiKeys } from '../src/gateway/api-keys'
import { UsagePlan } from '../src/gateway/usage-plan'

const day = (iso: string) => Date.parse(iso)

describe('UsagePlan', () => {
  it('throttles per API key: each key has its own bucket', () => {
    const plan = new UsagePlan({ name: 'p', throttle: { rateLimit: 1, burstLimit: 1 } })
    const now = day('2025-01-01T12:00:00Z')
    expect(plan.admit('a', now)).toEqual({ admitted: true })
    expect(plan.admit('a', now)).toEqual({ admitted: false, reason: 'throttled' })
    expect(plan.admit('b', now)).toEqual({ admitted: true })
    expect(plan.admit('a', now + 1000)).toEqual({ admitted: true })
  })

  it('refuses a key over its daily quota, counts only admitted requests, and resets at 00:00 UTC', () => {
    const plan = new UsagePlan({
      name: 'p',
      throttle: { rateLimit: 1, burstLimit: 1 },
      quota: { limit: 2, period: 'DAY' },
    })
    const noon = day('2025-01-01T12:00:00Z')
    expect(plan.admit('a', noon).admitted).toBe(true)
    expect(plan.admit('a', noon)).toEqual({ admitted: false, reason: 'throttled' }) // not counted
    expect(plan.used('a', noon)).toBe(1)
    expect(plan.admit('a', noon + 1000).admitted).toBe(true)
    expect(plan.admit('a', noon + 60_000)).toEqual({ admitted: false, reason: 'quota' })
    expect(plan.admit('a', day('2025-01-01T23:59:59Z'))).toEqual({ admitted: false, reason: 'quota' })
    expect(plan.admit('a', day('2025-01-02T00:00:00Z'))).toEqual({ admitted: true })
  })
})

describe('ApiKeys', () => {
  const plan = new UsagePlan({ name: 'p', throttle: { rateLimit: 1, burstLimit: 1 } })
  const keys = new ApiKeys([{ id: 'k1', name: 'one', value: 'key-one-0123456789abcdef', plan }])

  it('finds a key by its value; missing, wrong and prefix values find nothing', () => {
    expect(keys.find('key-one-0123456789abcdef')?.id).toBe('k1')
    expect(keys.find(undefined)).toBeUndefined()
    expect(keys.find('')).toBeUndefined()
    expect(keys.find('key-one-0123456789abcde')).toBeUndefined()
    expect(keys.find('KEY-ONE-0123456789ABCDEF')).toBeUndefined()
  })

  it('refuses keys shorter than 20 characters, as API Gateway does', () => {
    expect(() => new ApiKeys([{ id: 'k', name: 'short', value: 'too-short', plan }])).toThrow(/20 characters/)
  })
})
