/**
 * The throttle of an API Gateway usage plan: a bucket of `burst` tokens, refilled at `rate` tokens per
 * second. Each request takes one token; a request that finds less than one is throttled (429).
 * Time is passed in, so tests need no clock.
 */
export class TokenBucket {
  /** Steady-state requests per second. */
  readonly rate: number
  /** Requests allowed at once after a quiet period (the bucket's size). */
  readonly burst: number
  private tokens: number
  private updatedAt: number

  constructor(rate: number, burst: number, now = Date.now()) {
    if (!(rate > 0)) throw new RangeError(`rate must be > 0, got ${rate}`)
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`burst must be an integer >= 1, got ${burst}`)
    }
    this.rate = rate
    this.burst = burst
    this.tokens = burst
    this.updatedAt = now
  }

  /** Takes a token if there is one. */
  take(now = Date.now()): boolean {
    this.refill(now)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** Tokens left now (fractions included). */
  available(now = Date.now()): number {
    this.refill(now)
    return this.tokens
  }

  private refill(now: number): void {
    // A clock that steps back adds nothing (and takes nothing away).
    const elapsedMs = Math.max(0, now - this.updatedAt)
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs / 1000) * this.rate)
    this.updatedAt = Math.max(now, this.updatedAt)
  }
}
