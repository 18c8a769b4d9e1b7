import type { ReadStatus, S3Cache, WrapLoaderContext, WrapOptions } from '@valkey-s3-cache/core'
import type { StoredResponse } from './response'

/** The leader's response was not storable (or it failed): the requests waiting on it run their own handlers. */
class NotStored extends Error {
  override name = 'NotStored'
}

/** How one request takes part in the shared run of its key. */
export type Joined =
  /** Answered without this request's handler: a stored entry, or another request's run (`status`: how `wrap` got it). */
  | { role: 'cached'; value: unknown; status: ReadStatus | undefined }
  /**
   * This request's handler runs; `finish` hands its response to `wrap` (`undefined`: nothing to store)
   * and resolves with `wrap`'s status once it is stored (`bypass`: the cache could not be used). Idempotent.
   * `reads`: the loader's view of the cache, whose reads become dependencies of the response.
   */
  | {
      role: 'leader'
      finish: (stored: StoredResponse | undefined) => Promise<ReadStatus | undefined>
      reads: S3Cache
    }
  /** The run this request waited for left nothing to store: run the handler, store nothing. */
  | { role: 'alone' }

/**
 * Joins the one handler run per key that `cache.wrap` allows (per process, and across
 * processes through its lease).
 *
 * `wrap` wants a loader that produces the value, but middy runs the handler between `before`
 * and `after`, outside any function this middleware controls. So `before` passes `wrap` a
 * loader whose promise this request's own `after` (or `onError`) settles through `finish`:
 * when `wrap` calls the loader, this request leads and `before` returns so the handler runs;
 * when `wrap` answers without calling it, the answer is served and the handler is skipped.
 * A run that ends with nothing to store (an error, `no-store`, a cookie) rejects the loader,
 * so `wrap` stores nothing and the waiting requests run their own handlers: they must never
 * receive another client's error or private response.
 *
 * `limitMs` bounds how long a leader can hold the others when its request never ends (a handler
 * that never settles): the last resort. An early answer that skips `after` and `onError` ends the
 * run through `finish` at once (see `onEarlyEnd`).
 */
export async function joinSharedRun(
  cache: S3Cache,
  key: string,
  options: WrapOptions,
  limitMs: number,
): Promise<Joined> {
  let elected: (role: 'leader') => void = () => {}
  const election = new Promise<'leader'>((resolve) => {
    elected = resolve
  })
  let reads: S3Cache | undefined
  let settle: (stored: StoredResponse | undefined) => void = () => {}
  const handlerRun = new Promise<StoredResponse>((resolve, reject) => {
    settle = (stored) => (stored ? resolve(stored) : reject(new NotStored('nothing to store')))
  })
  const loader = (context: WrapLoaderContext) => {
    reads = context.cache
    elected('leader')
    return handlerRun
  }
  let status: ReadStatus | undefined
  const pending = cache.wrap(key, loader, {
    ...options,
    onStatus: (value) => {
      status = value
    },
  })
  const first = await Promise.race([
    pending.then(
      (value) => ({ value }),
      () => ({ failed: true as const }),
    ),
    election,
  ])
  if (first === 'leader') {
    const timer = setTimeout(() => settle(undefined), limitMs)
    timer.unref()
    let finished: Promise<ReadStatus | undefined> | undefined
    const finish = (stored: StoredResponse | undefined) => {
      finished ??= (async () => {
        clearTimeout(timer)
        settle(stored)
        // Wait for the write: Lambda may freeze the process as soon as the response is returned.
        // A failed write is reported by the cache's events; the response is served either way.
        await pending.catch(() => {})
        return status
      })()
      return finished
    }
    return { role: 'leader', finish, reads: reads ?? cache }
  }
  return 'failed' in first ? { role: 'alone' } : { role: 'cached', value: first.value, status }
}
