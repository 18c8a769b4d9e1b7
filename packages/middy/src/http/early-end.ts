import type { MiddyLikeRequest } from '../types'

/** The callbacks of one request, kept in `request.internal` under this name. */
const ENDS = 'valkey-s3-cache.earlyEnd'

type Watched = 'response' | 'error'

/**
 * Calls `end` (once) as soon as middy ends `request` in a way that may skip this middleware's `after`
 * and `onError`, at the moment it happens rather than when a time limit runs out:
 *
 * - an early answer: a middleware later in the chain returned a value from its `before`, `after` or
 *   `onError`. middy 7 sets `request.earlyResponse`, assigns it to `request.response` and skips every
 *   hook still to run in that stage.
 * - the error path: middy assigns the error to `request.error` before the `onError` hooks, and a later
 *   `onError` that answers or throws skips the rest.
 *
 * Both are seen through accessors on `request.response` and `request.error` (installed once per request;
 * to every other middleware they read and write like the plain properties they replace). A middleware
 * that assigns `request.error` outside the error path ends the run too: that stores nothing, the safe side.
 */
export function onEarlyEnd(request: MiddyLikeRequest, end: () => void): void {
  const existing = request.internal[ENDS] as Array<() => void> | undefined
  if (existing) {
    existing.push(end)
    return
  }
  const ends = [end]
  request.internal[ENDS] = ends
  const fire = () => {
    for (const callback of ends.splice(0)) callback()
  }
  watch(request, 'response', () => 'earlyResponse' in request, fire)
  watch(request, 'error', (value) => value !== undefined, fire)
}

/** Replaces `request[name]` by an accessor that stores the value as before and calls `fire` when `when` holds. */
function watch(
  request: MiddyLikeRequest,
  name: Watched,
  when: (value: unknown) => boolean,
  fire: () => void,
): void {
  const own = Object.getOwnPropertyDescriptor(request, name)
  let value: unknown = own?.value
  // Another accessor on the same property (installed by someone else) keeps working underneath.
  const read = own?.get ? own.get.bind(request) : () => value
  const write = own?.set
    ? own.set.bind(request)
    : (next: unknown) => {
        value = next
      }
  Object.defineProperty(request, name, {
    configurable: true,
    enumerable: own?.enumerable ?? true,
    get: read,
    set: (next: unknown) => {
      write(next)
      if (when(next)) fire()
    },
  })
}
