// Type-level tests: vitest type-checks this file (typecheck mode); a type error fails the run.
// wrap stores its loader's result as JSON (or bytes), so the type admits only what survives that.
import type { S3Cache, WrapValue } from '@valkey-s3-cache/core'
import { describe, expectTypeOf, it } from 'vitest'

declare const cache: S3Cache
type Report = { id: number; rows: { name: string; total: number }[]; note: string | null }
declare const report: Report
declare const bytes: Uint8Array

describe('cache.wrap types', () => {
  it("resolves to the loader's return type, sync or async", () => {
    expectTypeOf(cache.wrap('report:1', () => report)).resolves.toEqualTypeOf<Report>()
    expectTypeOf(cache.wrap('report:1', async () => report)).resolves.toEqualTypeOf<Report>()
    expectTypeOf(cache.wrap('n', async (): Promise<number> => 42)).resolves.toEqualTypeOf<number>()
    expectTypeOf(cache.wrap('list', () => ['a', 'b'])).resolves.toEqualTypeOf<string[]>()
    expectTypeOf(cache.wrap('none', () => null)).resolves.toEqualTypeOf<null>()
  })

  it('accepts bytes', () => {
    expectTypeOf(cache.wrap('png', () => bytes)).resolves.toEqualTypeOf<Uint8Array>()
    expectTypeOf(cache.wrap('png', async () => bytes)).resolves.toEqualTypeOf<Uint8Array>()
  })

  it('accepts options', () => {
    expectTypeOf(
      cache.wrap('report:1', () => report, { ttl: '1m', staleTtl: 30_000, forceRefresh: true }),
    ).resolves.toEqualTypeOf<Report>()
    // @ts-expect-error ttl is a Duration
    cache.wrap('report:1', () => report, { ttl: 'soon' })
  })

  it('rejects values JSON cannot hold', () => {
    // @ts-expect-error a function
    cache.wrap('k', () => () => 1)
    // @ts-expect-error a symbol
    cache.wrap('k', () => Symbol('k'))
    // @ts-expect-error undefined (JSON has no undefined)
    cache.wrap('k', () => undefined)
    // @ts-expect-error a loader that returns nothing
    cache.wrap('k', async () => {})
    // @ts-expect-error a bigint (JSON.stringify throws on it)
    cache.wrap('k', () => 1n)
    // @ts-expect-error a Date would come back as a string
    cache.wrap('k', () => new Date())
    // @ts-expect-error a Map would come back as {}
    cache.wrap('k', () => new Map<string, number>())
  })

  it('types a nested value as it comes back through JSON: a Date is a string, a Map an empty object, a function gone', () => {
    const built = cache.wrap('k', () => ({
      at: new Date(),
      byName: new Map<string, number>(),
      run: () => 1,
      n: 1,
    }))
    expectTypeOf(built).resolves.toEqualTypeOf<{ at: string; byName: Record<string, never>; n: number }>()
    expectTypeOf(cache.wrap('k', () => ({ list: [new Date(), 2] }))).resolves.toEqualTypeOf<{
      list: (string | number)[]
    }>()
  })

  it('WrapValue is JSON or bytes', () => {
    expectTypeOf<Uint8Array>().toExtend<WrapValue>()
    expectTypeOf<Report>().toExtend<WrapValue>()
    expectTypeOf<readonly string[]>().toExtend<WrapValue>()
    expectTypeOf<Date>().not.toExtend<WrapValue>()
    expectTypeOf<undefined>().not.toExtend<WrapValue>()
  })
})
