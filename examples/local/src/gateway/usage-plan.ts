import { TokenBucket } from './token-bucket'

/** The settings of an API Gateway usage plan, named as in the API Gateway API. */
export interface UsagePlanSettings {
  name: string
  throttle: { rateLimit: number; burstLimit: number }
  /** Requests per API key per UTC day. API Gateway also has WEEK and MONTH; the demo needs only DAY. */
  quota?: { limit: number; period: 'DAY' }
}

export type Admission =
  | { admitted: true }
  /** `throttled` → 429 "Too Many Requests"; `quota` → 429 "Limit Exceeded". */
  | { admitted: false; reason: 'throttled' | 'quota' }

interface KeyUsage {
  bucket: TokenBucket
  day: string
  used: number
}

const utcDay = (now: number) => new Date(now).toISOString().slice(0, 10)

/**
 * Rate, burst and daily quota per API key, as a usage plan applies them. A key over its quota is
 * refused before the throttle is asked, and only admitted requests count against the quota.
 */
export class UsagePlan {
  readonly settings: UsagePlanSettings
  private readonly usage = new Map<string, KeyUsage>()

  constructor(settings: UsagePlanSettings) {
    this.settings = settings
    const { quota } = settings
    if (quota && (!Number.isInteger(quota.limit) || quota.limit < 0)) {
      throw new RangeError(`quota.limit must be an integer >= 0, got ${quota.limit}`)
    }
    new TokenBucket(settings.throttle.rateLimit, settings.throttle.burstLimit) // validates the throttle now
  }

  admit(apiKeyId: string, now = Date.now()): Admission {
    const usage = this.usageOf(apiKeyId, now)
    const { quota } = this.settings
    if (quota && usage.used >= quota.limit) return { admitted: false, reason: 'quota' }
    if (!usage.bucket.take(now)) return { admitted: false, reason: 'throttled' }
    usage.used++
    return { admitted: true }
  }

  /** Requests admitted today for the key. */
  used(apiKeyId: string, now = Date.now()): number {
    return this.usageOf(apiKeyId, now).used
  }

  private usageOf(apiKeyId: string, now: number): KeyUsage {
    const day = utcDay(now)
    let usage = this.usage.get(apiKeyId)
    if (usage === undefined) {
      const { rateLimit, burstLimit } = this.settings.throttle
      usage = { bucket: new TokenBucket(rateLimit, burstLimit, now), day, used: 0 }
      this.usage.set(apiKeyId, usage)
    }
    if (usage.day !== day) {
      // Quotas restart at 00:00 UTC.
      usage.day = day
      usage.used = 0
    }
    return usage
  }
}
