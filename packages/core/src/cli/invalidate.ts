import { forEachConcurrent } from '../concurrency'
import { CacheWriteError } from '../errors'
import { validateKey } from '../keys'
import { bucketArgument, type CommandSpec, type ParsedCommand, UsageError } from './args'
import { type CliIo, cliCache, connect, s3Client } from './context'
import { table } from './format'
import { keyArgument } from './inspect'

export const invalidateSpec: CommandSpec = {
  name: 'invalidate',
  summary: 'remove the entries of one or more objects, or those carrying a tag',
  positionals: ['bucket', 'key…'],
  options: {
    tag: {
      type: 'string',
      value: 'tag',
      multiple: true,
      insteadOfPositionals: true,
      description: 'remove the entries carrying this tag; repeat for several',
    },
  },
  s3Uris: true,
  details: `Removes each entry and bumps its generation, exactly as cache.invalidate does, so a load in flight
in any Lambda cannot write its older body back. The next read loads from S3. The objects are the
bucket then its S3 keys, or s3://<bucket>/<key> URIs of one bucket (everything after the bucket's
"/" is the key, as it is). Keys that start with "-" go after "--".

With --tag instead of a bucket and keys, removes every entry carrying any of the tags (put's and
wrap's tags, setTags), in every bucket, and the entries built from them, exactly as
cache.invalidateTags does: a load in flight does not store a value with one of those tags. Prints
how many entries were removed. A tag that starts with "-" goes as --tag=-….`,
}

/** Validates a tag argument as the cache would, before connecting. */
function tagArgument(tag: string): string {
  try {
    validateKey(tag, 'tag')
    return tag
  } catch (error) {
    throw new UsageError(
      `invalidate: bad tag ${JSON.stringify(tag.slice(0, 60))}: ${(error as Error).message}`,
      'invalidate',
    )
  }
}

/** Tags are not per bucket: `invalidateTags` never uses the cache's bucket, which only has to be named. */
const NO_BUCKET = 'invalidate-by-tag'

async function runInvalidateTags(given: string[], json: boolean, io: CliIo): Promise<number> {
  // Every tag is checked before anything is removed, as keys are.
  const tags = [...new Set(given.map(tagArgument))]
  const connection = await connect(io.env)
  const s3 = s3Client(io.env)
  let lastError: Error | undefined
  let removed: number
  try {
    const cache = cliCache(connection, s3, NO_BUCKET, (error) => {
      lastError = error
    })
    try {
      removed = await cache.invalidateTags(tags)
    } catch (error) {
      if (!(error instanceof CacheWriteError)) throw error
      // The store's own error (a refused command, a timeout) says more than "could not be updated".
      const reason = lastError?.message ?? error.message
      throw new CacheWriteError(`invalidate --tag ${tags.join(', ')}: ${reason}`, { cause: error })
    }
  } finally {
    s3.destroy()
    await connection.close()
  }
  io.out(
    json
      ? `${JSON.stringify({ tags, removed })}\n`
      : `${table([...tags.map((tag) => ['tag', tag]), ['removed', String(removed)]])}\n`,
  )
  return 0
}

export async function runInvalidate({ positionals, values }: ParsedCommand, io: CliIo): Promise<number> {
  if (Array.isArray(values.tag)) return runInvalidateTags(values.tag, values.json === true, io)
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
