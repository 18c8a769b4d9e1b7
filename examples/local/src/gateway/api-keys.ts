import { createHash } from 'node:crypto'
import type { UsagePlan } from './usage-plan'

export interface ApiKey {
  /** What API Gateway puts in `requestContext.identity.apiKeyId`. */
  id: string
  name: string
  /** The secret clients send in `x-api-key` (API Gateway wants at least 20 characters). */
  value: string
  plan: UsagePlan
}

const digest = (value: string) => createHash('sha256').update(value).digest('base64')

/**
 * The API keys of the stage. Keys are looked up by their SHA-256, so the time a lookup takes says
 * nothing about how much of a guessed key was right.
 */
export class ApiKeys {
  private readonly byDigest = new Map<string, ApiKey>()

  constructor(keys: ApiKey[]) {
    for (const key of keys) {
      if (key.value.length < 20) throw new RangeError(`API key ${key.name} must be at least 20 characters`)
      this.byDigest.set(digest(key.value), key)
    }
  }

  /** The key named by an `x-api-key` header; `undefined` when missing or unknown (both are a 403 "Forbidden"). */
  find(headerValue: string | undefined): ApiKey | undefined {
    return headerValue ? this.byDigest.get(digest(headerValue)) : undefined
  }
}
