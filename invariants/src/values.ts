// The bodies the checker writes and the digests it compares answers by: every answer's bytes or value
// must be exactly what some write or loader run produced, so a caller that changed another's value
// (a shared buffer, an unfrozen Date) shows as a wrong digest.
import { createHash } from 'node:crypto'
import { z } from 'zod'

/** How a worker read an object: the four read calls, and `getJson` through a schema with a Date and a Set. */
export type ReadAs = 'bytes' | 'text' | 'json' | 'schema'

/** An object body as the checker writes it: its key, version and padding, and a date derived from the version. */
export function objectBody(key: string, version: number, padding: number, tags: readonly string[]): string {
  const at = new Date(Date.UTC(2026, 0, 1) + version * 1000).toISOString()
  return JSON.stringify({ key, v: version, at, tags, pad: 'x'.repeat(padding) })
}

/** A schema whose output holds what freezing cannot protect: a Date and a Set. */
export const ObjectSchema = z.object({
  key: z.string(),
  v: z.number(),
  at: z.coerce.date(),
  tags: z.array(z.string()).transform((list) => new Set(list)),
  pad: z.string(),
})

/** A value as canonical text: Dates, Sets, Maps and typed arrays included, keys sorted. */
export function canonical(value: unknown): string {
  return JSON.stringify(plainOf(value))
}

function plainOf(value: unknown): unknown {
  if (value instanceof Date) return { $date: Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString() }
  if (value instanceof Set) return { $set: [...value].map(plainOf) }
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [plainOf(k), plainOf(v)]) }
  if (ArrayBuffer.isView(value))
    return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
  if (Array.isArray(value)) return value.map(plainOf)
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return Object.fromEntries(entries.map(([k, v]) => [k, plainOf(v)]))
  }
  return value
}

export const digest = (text: string | Uint8Array) => createHash('sha1').update(text).digest('base64url')

/** The digest a read of `body` as `as` must answer. */
export function expectedDigest(body: string, as: ReadAs): string {
  if (as === 'bytes' || as === 'text') return digest(body)
  const parsed = JSON.parse(body) as unknown
  return digest(canonical(as === 'schema' ? ObjectSchema.parse(parsed) : parsed))
}

/**
 * What a careless caller does to what it got, after taking its digest: scribble over bytes, change
 * a Date, grow a Set or an array, set a property. Frozen values refuse (and are left alone).
 */
export function scribble(value: unknown): void {
  try {
    if (ArrayBuffer.isView(value)) {
      new Uint8Array(value.buffer, value.byteOffset, value.byteLength).fill(0x20)
      return
    }
    if (value instanceof Date) {
      value.setTime(0)
      return
    }
    if (value instanceof Set) {
      value.add('scribbled')
      return
    }
    if (value instanceof Map) {
      value.set('scribbled', true)
      return
    }
    if (Array.isArray(value)) {
      for (const item of value) scribble(item)
      value.push('scribbled')
      return
    }
    if (typeof value === 'object' && value !== null) {
      for (const child of Object.values(value)) scribble(child)
      ;(value as Record<string, unknown>).scribbled = true
    }
  } catch {
    // A frozen value: nothing to change, which is what sharing one requires.
  }
}
