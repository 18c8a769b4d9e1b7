/**
 * Thrown by `httpCache` when its `authorize` check returns anything but `true`: a 403 whose message
 * (`Forbidden`, as API Gateway words its own) is safe to show, so `@middy/http-error-handler` renders it.
 */
export class RequestRefusedError extends Error {
  override name = 'RequestRefusedError'
  /** The HTTP status to answer with (read by `@middy/http-error-handler`). */
  readonly statusCode = 403
  /** The message is safe to show to API clients. */
  readonly expose = true

  constructor() {
    super('Forbidden')
  }
}
