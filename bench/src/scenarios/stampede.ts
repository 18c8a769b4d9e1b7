import { fileURLToPath } from 'node:url'
import { LIBRARY_IDS, spec } from '../contenders'
import { type BenchEnv, putDoc } from '../env'
import type { Settings } from '../settings'
import { median } from '../stats'
import { Peer } from './peer'
import type { FromChild, ToChild } from './stampede-child'

export interface StampedeTrial {
  /** S3 GetObject calls per child process. */
  originCalls: number[]
  total: number
  errors: number
  firstError?: string
  /** Slowest child's time from the start signal until its reads settled, ms. */
  wallMs: number
}

export interface StampedeResult {
  contender: string
  name: string
  children: number
  readsPerChild: number
  trials: StampedeTrial[]
  medianTotal: number
}

const CHILD = fileURLToPath(new URL('./stampede-child.ts', import.meta.url))

/**
 * Scenario 3: `children` processes (Lambda instances) each fire `readsPerChild` concurrent
 * reads of one cold key at the same moment; each reports how many S3 GetObject calls it made.
 */
export async function runStampede(
  env: BenchEnv,
  settings: Settings,
  log: (line: string) => void,
): Promise<StampedeResult[]> {
  const doc = env.docs.find((d) => d.sizeKiB === 10) ?? env.docs[0]
  if (!doc) throw new Error('no document')
  const peers = Array.from({ length: settings.stampedeChildren }, () => new Peer<ToChild, FromChild>(CHILD))
  const results: StampedeResult[] = []
  try {
    for (const id of LIBRARY_IDS) {
      const warmKey = `stampede/${id}/warm.json`
      await putDoc(env.s3.client, warmKey, doc.json)
      const trials: StampedeTrial[] = []
      for (let t = 0; t < settings.stampedeTrials; t++) {
        const key = `stampede/${id}/${t}.json`
        await putDoc(env.s3.client, key, doc.json)
        await Promise.all(
          peers.map((peer) => peer.ask({ type: 'prepare', id, key, warmKey, endpoints: env.endpoints })),
        )
        const at = Date.now() + 100
        const answers = await Promise.all(
          peers.map((peer) => peer.ask({ type: 'go', at, reads: settings.stampedeReadsPerChild })),
        )
        const done = answers.filter((a): a is Extract<FromChild, { type: 'done' }> => a.type === 'done')
        const originCalls = done.map((a) => a.originCalls)
        const firstError = done.find((a) => a.firstError)?.firstError
        trials.push({
          originCalls,
          total: originCalls.reduce((a, b) => a + b, 0),
          errors: done.reduce((n, a) => n + a.errors, 0),
          ...(firstError ? { firstError } : {}),
          wallMs: Math.round(Math.max(...done.map((a) => a.wallMs)) * 10) / 10,
        })
      }
      const result: StampedeResult = {
        contender: id,
        name: spec(id).name,
        children: settings.stampedeChildren,
        readsPerChild: settings.stampedeReadsPerChild,
        trials,
        medianTotal: median(trials.map((t) => t.total)),
      }
      results.push(result)
      log(
        `  ${result.name.padEnd(16)} origin calls per trial: ${trials.map((t) => `${t.total} [${t.originCalls.join('+')}]`).join(', ')}` +
          (trials.some((t) => t.errors) ? `  errors: ${trials.map((t) => t.errors).join(', ')}` : ''),
      )
    }
  } finally {
    await Promise.all(peers.map((peer) => peer.stop({ type: 'exit' })))
  }
  return results
}
