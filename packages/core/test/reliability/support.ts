// Shared pieces of the reliability suite: a process-level watcher for unhandled rejections and
// uncaught exceptions, and the summary table each file prints at the end (the S3 fault proxy is the
// testkit's).
import { S3CacheError } from '../../src'

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One row of a file's summary table. */
export interface Row {
  scenario: string
  requests: number
  hits: number
  stale: number
  errors: number
  wrong: number
  untyped: number
  note?: string
}

export function printTable(title: string, rows: Row[]): void {
  const head = ['scenario', 'requests', 'hits', 'stale', 'typed errors', 'untyped', 'wrong', 'note']
  const body = rows.map((r) => [
    r.scenario,
    String(r.requests),
    String(r.hits),
    String(r.stale),
    String(r.errors),
    String(r.untyped),
    String(r.wrong),
    r.note ?? '',
  ])
  const lines = [head, ...body].map((cells) => `| ${cells.join(' | ')} |`)
  lines.splice(1, 0, `|${head.map(() => '---').join('|')}|`)
  console.log(`\n${title}\n${lines.join('\n')}\n`)
}

/** Counts unhandled rejections and uncaught exceptions while installed. */
export function watchProcess() {
  const seen: unknown[] = []
  const s3rverFaults: unknown[] = []
  // The in-process S3 stand-in (s3rver) stores a key as a file name and rejects, unhandled, on
  // segments over the file system's 255 bytes (real S3 takes 1024-byte keys): counted apart.
  const fromS3rver = (error: unknown) => {
    const text = `${(error as Error)?.stack ?? ''} ${(error as { path?: string })?.path ?? ''}`
    return /s3rver/i.test(text)
  }
  const record = (error: unknown) => (fromS3rver(error) ? s3rverFaults : seen).push(error)
  const onRejection = (reason: unknown) => record(reason)
  const onException = (error: unknown) => record(error)
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  return {
    get count() {
      return seen.length
    },
    seen,
    get s3rverFaults() {
      return s3rverFaults.length
    },
    stop() {
      process.off('unhandledRejection', onRejection)
      process.off('uncaughtException', onException)
    },
  }
}

/** Runs `fn`, classifying a failure as a typed S3CacheError or not. */
export async function attempt<T>(fn: () => Promise<T>) {
  try {
    return { ok: true as const, value: await fn() }
  } catch (error) {
    return { ok: false as const, error, typed: error instanceof S3CacheError }
  }
}
