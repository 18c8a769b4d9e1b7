import { spec } from '../contenders'
import type { BenchEnv } from '../env'
import type { Settings } from '../settings'
import { round } from '../stats'
import { verify } from './timed'
import { allKeys, type BytesMethod, bytesSentMeter } from './valkey-stats'

export interface StoredKey {
  /** Key name; core's is a hash. */
  key: string
  strlen: number
  memoryUsage: number
}

export interface BytesResult {
  contender: string
  name: string
  sizeKiB: number
  /** Size of the JSON document itself. */
  docBytes: number
  /** String keys the library wrote for the document. */
  keys: StoredKey[]
  strlen: number
  memoryUsage: number
  /** Bytes Valkey sent to the library per hit (RESP framing included). */
  bytesPerHit: number
  method: BytesMethod
}

/**
 * Scenario 4: for the 10 and 100 KiB documents, what each library stores in Valkey
 * (STRLEN, MEMORY USAGE) and how many bytes each hit moves from Valkey to the client.
 * The server is flushed before each library, so every key found is that library's.
 */
export async function runBytes(
  env: BenchEnv,
  settings: Settings,
  ids: string[],
  log: (line: string) => void,
): Promise<BytesResult[]> {
  const { admin } = env
  const results: BytesResult[] = []
  for (const doc of env.docs.filter((d) => d.sizeKiB >= 10)) {
    for (const id of ids) {
      await admin.flushall()
      const contender = await spec(id).create(env.endpoints)
      try {
        verify(await contender.read(doc.key), doc, id)
        verify(await contender.read(doc.key), doc, id)
        const keys: StoredKey[] = []
        for (const key of await allKeys(admin)) {
          if ((await admin.type(key)) !== 'string') continue
          const memoryUsage = Number(await admin.memory('USAGE', key, 'SAMPLES', '0'))
          keys.push({ key, strlen: await admin.strlen(key), memoryUsage })
        }
        const count = settings.countedHits
        const { method, read: bytesSent } = await bytesSentMeter(admin)
        const before = await bytesSent()
        for (let i = 0; i < count; i++) await contender.read(doc.key)
        const after = await bytesSent()
        const result: BytesResult = {
          contender: id,
          name: contender.name,
          sizeKiB: doc.sizeKiB,
          docBytes: doc.bytes,
          keys,
          strlen: keys.reduce((n, k) => n + k.strlen, 0),
          memoryUsage: keys.reduce((n, k) => n + k.memoryUsage, 0),
          bytesPerHit: round((after - before) / count),
          method,
        }
        results.push(result)
        log(
          `  ${String(doc.sizeKiB).padStart(3)} KiB ${result.name.padEnd(16)} STRLEN ${result.strlen}  MEMORY USAGE ${result.memoryUsage}  per hit ${result.bytesPerHit} B (${keys.length} key${keys.length === 1 ? '' : 's'})`,
        )
      } finally {
        await contender.close()
      }
    }
  }
  await admin.flushall()
  return results
}
