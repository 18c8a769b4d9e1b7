/**
 * Runs `fn` over `items` with at most `limit` calls in flight, pulling the next item only when a
 * slot frees up, so a long (even paginated, async) source is never held in memory at once.
 * `fn` should catch its own errors; an error from `items` itself rejects once every call in flight has settled.
 */
export async function forEachConcurrent<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const iterator =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : toAsync(items)[Symbol.asyncIterator]()
  // Async generators queue concurrent `next()` calls, so the workers can share one iterator.
  const worker = async () => {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) await fn(next.value)
  }
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, limit) }, worker))
  const failure = settled.find((result) => result.status === 'rejected')
  if (failure) throw failure.reason
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items
}
