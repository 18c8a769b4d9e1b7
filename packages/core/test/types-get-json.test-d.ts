// Type-level tests: vitest type-checks this file (typecheck mode); a type error fails the run.
// getJson is typed by any Standard Schema: zod 4 and valibot 1 implement it without an adapter.
import type { S3Cache } from '@valkey-s3-cache/core'
import * as v from 'valibot'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'

declare const cache: S3Cache

describe('cache.getJson types', () => {
  it('infers the output type of a zod 4 schema', () => {
    const Doc = z.object({ title: z.string(), tags: z.array(z.string()).optional() })
    expectTypeOf(cache.getJson('docs/a.json', Doc)).resolves.toEqualTypeOf<{
      title: string
      tags?: string[] | undefined
    }>()
  })

  it('infers the output type of a valibot schema', () => {
    const Doc = v.object({ title: v.string(), tags: v.optional(v.array(v.string())) })
    expectTypeOf(cache.getJson('docs/a.json', Doc)).resolves.toEqualTypeOf<{
      title: string
      tags?: string[] | undefined
    }>()
  })

  it('gives the output of a transform, not its input', () => {
    // The JSON holds strings; the caller gets what the schema turns them into.
    const zodDoc = z.object({ count: z.string().transform(Number) })
    expectTypeOf(cache.getJson('a.json', zodDoc)).resolves.toEqualTypeOf<{ count: number }>()
    const valibotDate = v.pipe(
      v.string(),
      v.isoDateTime(),
      v.transform((s) => new Date(s)),
    )
    expectTypeOf(cache.getJson('a.json', valibotDate)).resolves.toEqualTypeOf<Date>()
  })

  it('is unknown without a schema, or the type argument given', () => {
    expectTypeOf(cache.getJson('a.json')).resolves.toBeUnknown()
    expectTypeOf(cache.getJson<{ title: string }>('a.json')).resolves.toEqualTypeOf<{ title: string }>()
  })

  it('accepts per-call options, with or without a schema', () => {
    const Doc = z.object({ title: z.string() })
    expectTypeOf(cache.getJson('a.json', Doc, { ttl: '1m', forceRefresh: true })).resolves.toEqualTypeOf<{
      title: string
    }>()
    expectTypeOf(cache.getJson('a.json', undefined, { bucket: 'other' })).resolves.toBeUnknown()
    // @ts-expect-error ttl is a Duration
    cache.getJson('a.json', Doc, { ttl: '1 minute' })
    // @ts-expect-error not a Standard Schema
    cache.getJson('a.json', { parse: (value: unknown) => value })
  })
})
