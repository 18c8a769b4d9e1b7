import { L2_IDS } from '../contenders'
import { type BenchEnv, putDoc } from '../env'
import type { BenchDoc } from '../payload'
import type { Settings } from '../settings'
import { type CellResult, forEachLimit, keysFor, runTimed } from './timed'

/**
 * Scenario 1: L2 hits (no L1) of 1/10/100 KiB JSON at concurrency 1 and 64. Floor: raw iovalkey.
 * Reads go round-robin over `keyPool` copies of the document, so that no two concurrent reads
 * share a key: core, cache-manager and cachified coalesce concurrent reads of one key in-process,
 * which would measure coalescing instead of Valkey hits.
 */
export async function runL2Hit(
  env: BenchEnv,
  settings: Settings,
  log: (line: string) => void,
): Promise<CellResult[]> {
  const cells = settings.sizesKiB.flatMap((sizeKiB) =>
    settings.concurrencies.map((concurrency) => ({ sizeKiB, concurrency, keys: settings.keyPool })),
  )
  await putKeyPool(env, env.docs, settings.keyPool)
  return runTimed(env, settings, L2_IDS, cells, log)
}

/** Puts `count` copies of each document into S3, under the keys `keysFor` names. */
export async function putKeyPool(env: BenchEnv, docs: BenchDoc[], count: number): Promise<void> {
  for (const doc of docs) {
    await forEachLimit(keysFor(doc, count), 8, (key) => putDoc(env.s3.client, key, doc.json))
  }
}
