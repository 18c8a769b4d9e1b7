import type { Context } from 'aws-lambda'

/**
 * The part of a middy request these middlewares use. Declared structurally (as AWS
 * Powertools does) so this package has no runtime or type dependency on `@middy/core`:
 * `@middy/core` 7's `use()` infers the context from `before`'s parameter, which is how
 * `s3Cache` adds `context.s3Cache` to the handler's type.
 */
export interface MiddyLikeRequest<TContext extends Context = Context> {
  event: unknown
  context: TContext
  response: unknown
  error: unknown
  internal: Record<string, unknown>
}

/** A middleware hook: returning a value other than `undefined` from `before` answers the request early. */
export type MiddyLikeHook<TContext extends Context = Context> = (
  request: MiddyLikeRequest<TContext>,
) => unknown

/** A middy middleware object (`{ before, after, onError }`), as `middy().use()` accepts it. */
export interface MiddyLikeMiddleware<TContext extends Context = Context> {
  before?: MiddyLikeHook<TContext>
  after?: MiddyLikeHook<TContext>
  onError?: MiddyLikeHook<TContext>
}
