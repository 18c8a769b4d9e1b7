import type { BenchEnv } from '../env'
import type { Settings } from '../settings'
import { type CellResult, runTimed } from './timed'

/**
 * Scenario 7: a direct S3 GetObject of each document from the local S3 server, at
 * concurrency 1 (a Lambda serves one request at a time): what every hit saves. The S3
 * server runs in this process and on loopback, so real S3 (10–50 ms) costs far more.
 */
export function runOrigin(
  env: BenchEnv,
  settings: Settings,
  log: (line: string) => void,
): Promise<CellResult[]> {
  const cells = settings.sizesKiB.map((sizeKiB) => ({ sizeKiB, concurrency: 1, keys: 1 }))
  return runTimed(env, settings, ['s3'], cells, log)
}
