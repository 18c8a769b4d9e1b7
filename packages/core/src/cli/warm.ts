import type { WarmProgress } from '../cache-api'
import type { CacheEvent } from '../events'
import { bucketArgument, type CommandSpec, integerFlag, type ParsedCommand } from './args'
import { CACHE_FLAG_OPTIONS, cacheFlags } from './cache-flags'
import { type CliIo, cliCache, connect, s3Client } from './context'
import { formatBytes, formatDuration, type ProgressCounts, progressDisplay, table } from './format'

export const warmSpec: CommandSpec = {
  name: 'warm',
  summary: 'load the objects of a bucket (or under a prefix) into the cache',
  positionals: ['bucket'],
  options: {
    prefix: {
      type: 'string',
      value: 'prefix',
      description: 'only keys starting with this (default: the whole bucket)',
    },
    concurrency: { type: 'string', value: 'n', description: 'objects loaded at once, 1 to 1000 (default 8)' },
    ...CACHE_FLAG_OPTIONS,
  },
  details: `Lists the objects with ListObjectsV2 and loads each one the way the cache's get does. Give
--ttl, --stale-ttl and --max-object-bytes as your functions' cache has them: the entries it stores
get these times, and it stores what that cache would. Progress goes to stderr: a bar on a terminal,
plain lines otherwise. The summary counts:

  loaded   read from S3 and stored
  fresh    already fresh in the cache: one GET, no S3 call, left as it is
  stale    served stale, not refreshed (another process was loading it, or S3 was slow or failing)
  skipped  over --max-object-bytes, skipped by its listed size (and, when Valkey failed, those it
           could not store)
  failed   could not be loaded (the first 20 are printed)

Exits 1 if any object failed or Valkey refused a write.`,
}

/** What the reads of a warm-up answered, told by the cache's events (a warm result counts them all as skipped). */
function answerCounter() {
  const answered = { hit: 0, stale: 0 }
  const onEvent = (event: CacheEvent) => {
    if (event.type === 'hit') answered.hit++
    else if (event.type === 'stale') answered.stale++
  }
  return { answered, onEvent }
}

/**
 * The objects a warm-up left alone, by why: a hit was fresh, a stale answer was not refreshed, the rest
 * were too large (or not stored). A hit on a cached NoSuchKey counts as failed, not skipped: hence the
 * bounds.
 */
function splitSkipped(counts: WarmProgress, answered: { hit: number; stale: number }): ProgressCounts {
  const fresh = Math.min(answered.hit, counts.skipped)
  const stale = Math.min(answered.stale, counts.skipped - fresh)
  return { ...counts, fresh, stale, skipped: counts.skipped - fresh - stale }
}

export async function runWarm({ positionals, values }: ParsedCommand, io: CliIo): Promise<number> {
  const bucket = bucketArgument(positionals[0], 'warm', '--prefix')
  const concurrency = integerFlag(values.concurrency, 'concurrency', 'warm', 1000) ?? 8
  const prefix = typeof values.prefix === 'string' ? values.prefix : undefined
  const s3 = s3Client(io.env)
  try {
    const { flags, storedAs } = cacheFlags(values, 'warm', s3, bucket)
    const connection = await connect(io.env)
    // The read path fails open: without this, entries that Valkey refused would still count as loaded.
    const storeErrors: Error[] = []
    try {
      const { answered, onEvent } = answerCounter()
      const cache = cliCache(connection, s3, bucket, (error) => storeErrors.push(error), { flags, onEvent })
      const display = values.json ? undefined : progressDisplay(io.err, io.stderrIsTTY)
      let latest: WarmProgress | undefined
      const started = performance.now()
      const result = await cache.warm({
        prefix,
        concurrency,
        onProgress: (progress) => {
          latest = progress
          display?.update(splitSkipped(progress, answered))
        },
      })
      const durationMs = performance.now() - started
      if (latest) display?.finish(splitSkipped(latest, answered))
      const { fresh, stale, skipped } = splitSkipped(
        { ...result, done: 0, total: 0, listing: false },
        answered,
      )
      const valkeyErrors = storeErrors.length
      if (values.json) {
        const errors = result.errors.map(({ key, error }) => ({ key, error: error.message }))
        const { loaded, failed, bytes } = result
        const counts = { loaded, fresh, stale, skipped, failed, bytes }
        const duration = Math.round(durationMs)
        io.out(
          `${JSON.stringify({ bucket, prefix, ...storedAs, ...counts, errors, valkeyErrors, durationMs: duration })}\n`,
        )
      } else {
        const rows = [
          ['bucket', bucket],
          ['prefix', prefix ?? '(all keys)'],
          ['ttl', formatDuration(storedAs.ttlMs)],
          ['stale ttl', formatDuration(storedAs.staleTtlMs)],
          ['max object bytes', String(storedAs.maxObjectBytes)],
          ['loaded', String(result.loaded)],
          ['fresh', String(fresh)],
          ...(stale > 0 ? [['stale (not refreshed)', String(stale)]] : []),
          [`skipped (over max-object-bytes${valkeyErrors > 0 ? ', or not stored' : ''})`, String(skipped)],
          ['failed', String(result.failed)],
          ['bytes', formatBytes(result.bytes)],
          ['valkey errors', String(valkeyErrors)],
          ['duration', formatDuration(durationMs)],
        ]
        io.out(`${table(rows)}\n`)
        for (const { key, error } of result.errors) io.err(`failed: ${key}: ${error.message}\n`)
        if (storeErrors[0]) io.err(`valkey error: ${storeErrors[0].message}\n`)
      }
      return result.failed > 0 || valkeyErrors > 0 ? 1 : 0
    } finally {
      await connection.close()
    }
  } finally {
    s3.destroy()
  }
}
