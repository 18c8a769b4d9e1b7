import type { WarmProgress } from '../cache-api'
import { bucketArgument, type CommandSpec, integerFlag, type ParsedCommand } from './args'
import { type CliIo, cliCache, connect, s3Client } from './context'
import { formatBytes, formatDuration, progressDisplay, table } from './format'

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
  },
  details: `Lists the objects with ListObjectsV2 and loads each one the way the cache's get does: an entry
that is already fresh costs one GET and no S3 call, objects larger than maxObjectBytes (1 MiB) are
skipped by their listed size. Progress goes to stderr: a bar on a terminal, plain lines otherwise.
Exits 1 if any object failed or Valkey refused a write.`,
}

export async function runWarm({ positionals, values }: ParsedCommand, io: CliIo): Promise<number> {
  const bucket = bucketArgument(positionals[0], 'warm')
  const concurrency = integerFlag(values.concurrency, 'concurrency', 'warm', 1000) ?? 8
  const prefix = typeof values.prefix === 'string' ? values.prefix : undefined
  const connection = await connect(io.env)
  const s3 = s3Client(io.env)
  // The read path fails open: without this, entries that Valkey refused would still count as loaded.
  const storeErrors: Error[] = []
  try {
    const cache = cliCache(connection, s3, bucket, (error) => storeErrors.push(error))
    const display = values.json ? undefined : progressDisplay(io.err, io.stderrIsTTY)
    let latest: WarmProgress | undefined
    const started = performance.now()
    const result = await cache.warm({
      prefix,
      concurrency,
      onProgress: (progress) => {
        latest = progress
        display?.update(progress)
      },
    })
    const durationMs = performance.now() - started
    if (latest) display?.finish(latest)
    const valkeyErrors = storeErrors.length
    if (values.json) {
      const errors = result.errors.map(({ key, error }) => ({ key, error: error.message }))
      io.out(
        `${JSON.stringify({ bucket, prefix, ...result, errors, valkeyErrors, durationMs: Math.round(durationMs) })}\n`,
      )
    } else {
      const rows = [
        ['bucket', bucket],
        ['prefix', prefix ?? '(all keys)'],
        ['loaded', String(result.loaded)],
        ['skipped', String(result.skipped)],
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
    s3.destroy()
    await connection.close()
  }
}
