import { createHash, timingSafeEqual } from 'node:crypto'
import type { HttpEvent } from '@valkey-s3-cache/middy'

/** A refused credential: http-error-handler answers 401 with `WWW-Authenticate` (RFC 6750), a message safe to show. */
export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError'
  readonly statusCode = 401
  readonly expose = true
  readonly headers: Record<string, string>

  constructor(challenge: string) {
    super('Unauthorized')
    this.headers = { 'WWW-Authenticate': challenge }
  }
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest()

/** The token of an `Authorization: Bearer <token>` header (any case; REST APIs keep the client's spelling). */
function bearerToken(event: HttpEvent): string | undefined {
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() !== 'authorization' || typeof value !== 'string') continue
    const match = /^Bearer +(\S+) *$/i.exec(value)
    return match?.[1]
  }
  return undefined
}

/**
 * httpCache's `authorize` for bearer tokens: `true` when the request's token is one of `tokenSha256`
 * (the SHA-256 digests of the accepted tokens, in hex), else a 401 `UnauthorizedError`. It runs on every
 * request, hits included. Only digests are configured, so the function's environment never holds a token;
 * the digests are compared in constant time.
 */
export function bearerTokenCheck(tokenSha256: readonly string[]): (event: HttpEvent) => boolean {
  const accepted = tokenSha256.map((digest) => Buffer.from(digest, 'hex'))
  return (event) => {
    const token = bearerToken(event)
    if (token === undefined) throw new UnauthorizedError('Bearer')
    const digest = sha256(token)
    if (!accepted.some((candidate) => timingSafeEqual(candidate, digest))) {
      throw new UnauthorizedError('Bearer error="invalid_token"')
    }
    return true
  }
}
