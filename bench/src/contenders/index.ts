import { createBentocache } from './bentocache'
import { createCacheManager } from './cache-manager'
import { createCachified } from './cachified'
import { createCore, DEPENDENCY_KEY } from './core'
import { createCoreGlide, createGlideRaw } from './glide'
import { createLru } from './lru'
import { createRaw } from './raw'
import { createS3Direct } from './s3-direct'
import type { ContenderSpec } from './types'

export type { Contender, ContenderSpec } from './types'

const specs: ContenderSpec[] = [
  {
    id: 'raw',
    name: 'raw floor',
    description: 'iovalkey `getBuffer` + `JSON.parse` (naive cache-aside on a miss)',
    create: createRaw,
  },
  {
    id: 'glide',
    name: 'raw GLIDE',
    description:
      '`@valkey/valkey-glide` standalone `GlideClient` `get(key, { decoder: Decoder.Bytes })` + `JSON.parse` (the raw floor on GLIDE)',
    create: createGlideRaw,
  },
  {
    id: 'core',
    name: 'core',
    description:
      '`@valkey-s3-cache/core` `getJson(key)` (URL connection, defaults: compression by size, lease on)',
    create: (e) => createCore(e, { name: 'core' }),
  },
  {
    id: 'core-glide',
    name: 'core on GLIDE',
    description: 'core `getJson(key)` with a standalone GLIDE `GlideClient` as `valkey` (defaults otherwise)',
    create: (e) => createCoreGlide(e, { name: 'core on GLIDE' }),
  },
  {
    id: 'core-zod',
    name: 'core + zod',
    description: '`@valkey-s3-cache/core` `getJson(key, Schema)` with a zod 4 schema',
    create: (e) => createCore(e, { name: 'core + zod', schema: true }),
  },
  {
    id: 'bentocache',
    name: 'bentocache',
    description: 'bentocache `getOrSet`, L2 only (ioredis driver)',
    create: (e) => createBentocache(e, { name: 'bentocache' }),
  },
  {
    id: 'cache-manager',
    name: 'cache-manager',
    description: 'cache-manager 7 `wrap` over Keyv + `@keyv/valkey` (`useRedisSets: false`)',
    create: createCacheManager,
  },
  {
    id: 'cachified',
    name: 'cachified',
    description: '`@epic-web/cachified` with `getFreshValue`, through a 20-line iovalkey adapter',
    create: createCachified,
  },
  {
    id: 'core-plain',
    name: 'core, no compression',
    description: 'diagnostic: core `getJson(key)` with `compression: false` (not the default)',
    create: (e) => createCore(e, { name: 'core, no compression', compression: false }),
  },
  {
    id: 'core-wrap',
    name: 'core wrap',
    description: 'core `wrap(key, loader)` of the parsed document, no tags (the tags scenario’s floor)',
    create: (e) => createCore(e, { name: 'core wrap', wrap: {} }),
  },
  {
    id: 'core-wrap-tags',
    name: 'core wrap, 3 tags',
    description: 'core `wrap(key, loader, { tags })` with 3 tags',
    create: (e) =>
      createCore(e, { name: 'core wrap, 3 tags', wrap: { tags: ['bench-a', 'bench-b', 'bench-c'] } }),
  },
  {
    id: 'core-wrap-deps',
    name: 'core wrap, 2 dependencies',
    description: 'core `wrap` whose loader reads the document and a second object through `context.cache`',
    create: (e) => createCore(e, { name: 'core wrap, 2 dependencies', wrap: { dependency: DEPENDENCY_KEY } }),
  },
  {
    id: 'core-l1',
    name: 'core L1 getJson',
    description: 'core with `l1: { maxBytes: 16 MiB }`, `getJson(key)` (parses per read)',
    create: (e) => createCore(e, { name: 'core L1 getJson', l1: true }),
  },
  {
    id: 'core-l1-shared',
    name: 'core L1 shared',
    description:
      'core with `l1` and `shareParsed: true`, `getJson(key)`: the parsed value kept, deep-frozen, shared',
    create: (e) => createCore(e, { name: 'core L1 shared', l1: true, shareParsed: true }),
  },
  {
    id: 'core-shared',
    name: 'core, shareParsed',
    description:
      'core with `shareParsed: true` (no L1): callers of one coalesced read share one deep-frozen value',
    create: (e) => createCore(e, { name: 'core, shareParsed', shareParsed: true }),
  },
  {
    id: 'core-l1-get',
    name: 'core L1 get',
    description: 'core with `l1`, `get(key)`: the `CachedObject`, no parsing',
    create: (e) => createCore(e, { name: 'core L1 get', l1: true, bytes: true }),
  },
  {
    id: 'bentocache-l1',
    name: 'bentocache L1',
    description: 'bentocache with memory driver L1 (`maxSize: 16mb`, serialized) + ioredis L2',
    create: (e) => createBentocache(e, { name: 'bentocache L1', l1: true }),
  },
  {
    id: 'lru-parse',
    name: 'lru-cache + JSON.parse',
    description: 'bare `lru-cache` get of the JSON text + `JSON.parse` (the L1 floor for a fresh object)',
    create: (e) => createLru(e, { name: 'lru-cache + JSON.parse', parse: true }),
  },
  {
    id: 'lru',
    name: 'lru-cache get',
    description: 'bare `lru-cache` get of the parsed object (shared, no copy)',
    create: (e) => createLru(e, { name: 'lru-cache get', parse: false }),
  },
  {
    id: 's3',
    name: 'S3 GetObject',
    description: 'no cache: `GetObject` + `transformToString` + `JSON.parse` against the local S3 server',
    create: createS3Direct,
  },
]

export const contenders = new Map(specs.map((spec) => [spec.id, spec]))

export function spec(id: string): ContenderSpec {
  const found = contenders.get(id)
  if (!found) throw new Error(`unknown contender ${id}`)
  return found
}

/** Scenario 1 (L2 hit), floor first; each GLIDE row after its iovalkey one. */
export const L2_IDS = [
  'raw',
  'glide',
  'core',
  'core-glide',
  'core-zod',
  'bentocache',
  'cache-manager',
  'cachified',
  'core-plain',
]
/** Scenario 2 (L1 hit), floor first. */
export const L1_IDS = ['lru-parse', 'lru', 'core-l1', 'core-l1-shared', 'core-l1-get', 'bentocache-l1']
/** Scenarios 3–5: one per library (core without schema). */
export const LIBRARY_IDS = ['raw', 'core', 'bentocache', 'cache-manager', 'cachified']
/** Scenarios 4 and 5 (bytes, commands per hit and miss): the libraries and both on GLIDE, each after its iovalkey row. */
export const HIT_LIBRARY_IDS = [
  'raw',
  'glide',
  'core',
  'core-glide',
  'bentocache',
  'cache-manager',
  'cachified',
]
/** The hot-key scenario: the libraries (GLIDE too), and core with `shareParsed` (one value for all callers, as cache-manager gives). */
export const HOT_KEY_IDS = [...HIT_LIBRARY_IDS, 'core-shared']
/** The tags scenario's hits: an untagged `wrap` value first (the floor), then a tagged and a dependent one. */
export const TAG_HIT_IDS = ['core-wrap', 'core-wrap-tags', 'core-wrap-deps']
/**
 * The L2 hit in one process per contender: the libraries (floor first), and core without
 * compression as a diagnostic (what decompression costs a hit).
 */
export const PROCESS_IDS = [...LIBRARY_IDS, 'core-plain']
/** The shaped link: the libraries, floor first. */
export const LINK_IDS = LIBRARY_IDS
