import type { EntryInspection } from '../cache-api'
import { validateKey } from '../keys'
import { bucketArgument, type CommandSpec, type ParsedCommand, UsageError } from './args'
import { type CliIo, cliCache, connect, s3Client } from './context'
import { formatBytes, formatTime, table } from './format'

export const inspectSpec: CommandSpec = {
  name: 'inspect',
  summary: "show an object's cache entry without loading it",
  positionals: ['bucket', 'key'],
  options: {},
  s3Uris: true,
  details: `Reads the entry with one GET: whether it is present, fresh, stale or expired, its ETag, fresh
and stale times, stored size and compression. A cached NoSuchKey shows as kind "missing".
Nothing is loaded from S3 and nothing is written. The object is the bucket then the key, or one
s3://<bucket>/<key> URI (everything after the bucket's "/" is the key, as it is).`,
}

/** Validates an S3 key argument as the cache would, before connecting. */
export function keyArgument(key: string, command: string): string {
  try {
    validateKey(key)
    return key
  } catch (error) {
    throw new UsageError(
      `${command}: bad key ${JSON.stringify(key.slice(0, 60))}: ${(error as Error).message}`,
      command,
    )
  }
}

function rows(bucket: string, key: string, found: EntryInspection): string[][] {
  const head = [
    ['bucket', bucket],
    ['key', key],
    ['valkey key', found.valkeyKey],
    ['present', found.present ? 'yes' : 'no'],
  ]
  if (!found.present) return head
  if (found.kind === 'corrupt')
    return [
      ...head,
      ['kind', 'corrupt (the next read replaces it)'],
      ['reason', found.reason],
      ['stored bytes', String(found.storedBytes)],
    ]
  const saved =
    found.bodyBytes > 0 ? ` (${Math.round((100 * found.storedBytes) / found.bodyBytes)}% of the body)` : ''
  return [
    ...head,
    ['kind', found.kind === 'missing' ? 'missing (cached NoSuchKey)' : 'object'],
    ['state', found.state],
    ['etag', found.etag ?? '-'],
    ['content type', found.contentType ?? '-'],
    ['last modified', found.lastModified?.toISOString() ?? '-'],
    ['fresh until', formatTime(found.freshUntil)],
    ['stale until', formatTime(found.staleUntil)],
    [
      'stored bytes',
      `${found.storedBytes}${found.storedBytes >= 1024 ? ` (${formatBytes(found.storedBytes)})` : ''}${saved}`,
    ],
    ['body bytes', String(found.bodyBytes)],
    ['compression', found.codec],
  ]
}

export async function runInspect({ positionals, values }: ParsedCommand, io: CliIo): Promise<number> {
  const bucket = bucketArgument(positionals[0], 'inspect')
  const key = keyArgument(positionals[1] ?? '', 'inspect')
  const connection = await connect(io.env)
  const s3 = s3Client(io.env)
  try {
    const found = await cliCache(connection, s3, bucket, () => {}).inspect(key)
    io.out(
      values.json ? `${JSON.stringify({ bucket, key, ...found })}\n` : `${table(rows(bucket, key, found))}\n`,
    )
    return 0
  } finally {
    s3.destroy()
    await connection.close()
  }
}
