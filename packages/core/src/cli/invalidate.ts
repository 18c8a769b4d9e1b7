import { forEachConcurrent } from '../concurrency'
import { CacheWriteError } from '../errors'
import { bucketArgument, type CommandSpec, type ParsedCommand } from './args'
import { type CliIo, cliCache, connect, s3Client } from './context'
import { keyArgument } from './inspect'

export const invalidateSpec: CommandSpec = {
  name: 'invalidate',
  summary: 'remove the entries of one or more objects',
  positionals: ['bucket', 'key…'],
  options: {},
  details: `Removes each entry and bumps its generation, exactly as cache.invalidate does, so a load in flight
in any Lambda cannot write its older body back. The next read loads from S3. Keys that start
with "-" go after "--".`,
}

export async function runInvalidate({ positionals, values }: ParsedCommand, io: CliIo): Promise<number> {
  const bucket = bucketArgument(positionals[0], 'invalidate')
  // Every key is checked before anything is removed: a typo must not leave half the list done.
  const keys = positionals.slice(1).map((key) => keyArgument(key, 'invalidate'))
  const connection = await connect(io.env)
  const s3 = s3Client(io.env)
  let lastError: Error | undefined
  const failed: { key: string; error: string }[] = []
  try {
    const cache = cliCache(connection, s3, bucket, (error) => {
      lastError = error
    })
    await forEachConcurrent(new Set(keys), 16, async (key) => {
      try {
        await cache.invalidate(key)
        if (!values.json) io.out(`invalidated  ${key}\n`)
      } catch (error) {
        const reason =
          error instanceof CacheWriteError && lastError ? lastError.message : (error as Error).message
        failed.push({ key, error: reason })
        io.err(`failed: ${key}: ${reason}\n`)
      }
    })
  } finally {
    s3.destroy()
    await connection.close()
  }
  if (values.json) {
    const done = new Set(failed.map((f) => f.key))
    io.out(
      `${JSON.stringify({ bucket, invalidated: [...new Set(keys)].filter((k) => !done.has(k)), failed })}\n`,
    )
  }
  return failed.length > 0 ? 1 : 0
}
