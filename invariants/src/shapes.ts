// What one run reads and writes: a few S3 objects, a few tags, and `wrap` values of every kind the
// library supports (tagged by option and by `setTags`, built from objects, built from another value).
// The runner and the workers share this file, so every process runs the same loader for a key.

/** Object names; a run's S3 keys are `r<run>/<name>.json`. Two small ones, two large (stored compressed). */
export const OBJECTS = ['o0', 'o1', 'o2', 'o3'] as const
export type ObjectName = (typeof OBJECTS)[number]

/** Padding per object: under and over the 2 KiB compression threshold. */
export const PADDING: Record<ObjectName, number> = { o0: 60, o1: 200, o2: 3000, o3: 6000 }

/** Tags of `wrap` values; `t2` is also given to objects by `put`. */
export const TAGS = ['t0', 't1', 't2'] as const
export type TagName = (typeof TAGS)[number]

export interface WrapShape {
  name: string
  /** Tags given as the `tags` option. */
  tags?: TagName[]
  /** Tags the loader learns late, through `setTags`. */
  lateTags?: TagName[]
  /** Objects the loader reads through its context's `cache` (its dependencies). */
  reads: ObjectName[]
  /** Another value the loader reads through its context's `cache` (a dependency chain). */
  nested?: string
}

export const WRAPS: readonly WrapShape[] = [
  { name: 'w0', tags: ['t0'], reads: [] },
  { name: 'w1', lateTags: ['t0', 't1'], reads: [] },
  { name: 'w2', reads: ['o0', 'o1'] },
  { name: 'w3', tags: ['t1'], reads: ['o2'] },
  { name: 'w4', tags: ['t2'], reads: ['o3'], nested: 'w2' },
]

export function wrapShape(name: string): WrapShape {
  const shape = WRAPS.find((wrap) => wrap.name === name)
  if (!shape) throw new Error(`unknown wrap ${name}`)
  return shape
}

/** Every tag a value of `shape` carries. */
export function tagsOf(shape: WrapShape): TagName[] {
  return [...new Set([...(shape.tags ?? []), ...(shape.lateTags ?? [])])]
}

/** The S3 key of an object in a run. */
export function objectKey(run: number, name: ObjectName): string {
  return `r${run}/${name}.json`
}

/** The `wrap` key of a value in a run (runs never share a key, whatever the prefix). */
export function wrapKey(run: number, name: string): string {
  return `r${run}/${name}`
}
