import { z } from 'zod'

/** A JSON document of a given size, as the benchmarks store it in S3 and in every cache. */
export interface BenchDoc {
  /** The S3 key. */
  key: string
  /** Nominal size, KiB. */
  sizeKiB: number
  /** The JSON text (what S3 holds). */
  json: string
  /** Its UTF-8 length. */
  bytes: number
}

const WORDS = (
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa ' +
  'quebec romeo sierra tango uniform victor whiskey xray yankee zulu amber basalt cedar dune ember fjord ' +
  'granite harbor island jasper kelp lagoon meadow nectar orchid pebble quartz river saffron tundra ' +
  'umber valley willow xenon yarrow zephyr lantern compass anchor beacon canvas'
).split(' ')

/** mulberry32: a small seeded PRNG, so every run stores byte-identical documents. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const ItemSchema = z.object({
  id: z.number().int(),
  sku: z.string(),
  name: z.string(),
  price: z.number(),
  inStock: z.boolean(),
  tags: z.array(z.string()),
  description: z.string(),
})

export const DocSchema = z.object({
  id: z.string(),
  title: z.string(),
  updatedAt: z.string(),
  items: z.array(ItemSchema),
})

export type DocValue = z.infer<typeof DocSchema>

/**
 * A catalogue-like document of at least `targetBytes` of JSON: numbers, short strings and
 * sentences drawn from a word list, so it compresses about as well as typical API JSON
 * (roughly 3–5× with zstd; data that compresses worse narrows core's bytes advantage).
 */
export function makeDocValue(targetBytes: number, seed = targetBytes): DocValue {
  const random = prng(seed)
  const word = () => WORDS[Math.floor(random() * WORDS.length)] as string
  const doc: DocValue = {
    id: `doc-${seed}`,
    title: `${word()} ${word()}`,
    updatedAt: '2025-01-01T00:00:00.000Z',
    items: [],
  }
  let size = JSON.stringify(doc).length
  for (let id = 1; size < targetBytes; id++) {
    const item = {
      id,
      sku: `SKU-${Math.floor(random() * 1e8)
        .toString(36)
        .toUpperCase()}`,
      name: `${word()} ${word()}`,
      price: Math.round(random() * 100_000) / 100,
      inStock: random() > 0.3,
      tags: Array.from({ length: 1 + Math.floor(random() * 4) }, word),
      description: Array.from({ length: 6 + Math.floor(random() * 14) }, word).join(' '),
    }
    doc.items.push(item)
    size += JSON.stringify(item).length + 1
  }
  return doc
}

export function makeDoc(sizeKiB: number): BenchDoc {
  const json = JSON.stringify(makeDocValue(sizeKiB * 1024))
  return { key: `docs/${sizeKiB}k.json`, sizeKiB, json, bytes: Buffer.byteLength(json) }
}
