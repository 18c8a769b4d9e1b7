import { hash } from 'node:crypto'
import { InvalidKeyError } from './errors'

/** S3 allows keys of up to 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024

/** The Valkey keys of one cached object. They share one hash tag, so a script touching them stays in one cluster slot. */
export interface EntryKeys {
  /** The stored entry (header + body). */
  readonly entry: string
  /** The distributed stampede lease. */
  readonly lease: string
  /** The generation counter bumped by `put` and `invalidate` (guards against stale sets). */
  readonly generation: string
  /** The S3 event sequencer last applied to this object, so a duplicate or late event changes nothing. */
  readonly sequencer: string
  /**
   * The entries that depend on this one (a sorted set of their entry keys): HTTP responses and `wrap`
   * values built from it, or, for a tag, the entries carrying it. Removed with this entry.
   */
  readonly dependents: string
}

/** Every key of the entry stored at `entry` (a dependents set names its members by their entry key). */
export function keysOf(entry: string): EntryKeys {
  return {
    entry,
    lease: `${entry}:lease`,
    generation: `${entry}:gen`,
    sequencer: `${entry}:seq`,
    dependents: `${entry}:deps`,
  }
}

/**
 * Throws {@link InvalidKeyError} unless `key` is a non-empty, well-formed string of at most 1024 UTF-8
 * bytes. A lone surrogate is refused: UTF-8 encoding would replace it with U+FFFD, so `'id\uD800'` and
 * `'id\uFFFD'` would share one Valkey key but not one L1 id, and one caller would get another's value.
 */
export function validateKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0)
    throw new InvalidKeyError(`${what} must be a non-empty string`)
  // String.prototype.isWellFormed: Node 20+, typed from ES2024 on.
  if (!(key as unknown as { isWellFormed(): boolean }).isWellFormed())
    throw new InvalidKeyError(`${what} is not well-formed UTF-16 (it holds a lone surrogate)`)
  // Fast path: a string of at most 256 UTF-16 units cannot exceed 1024 UTF-8 bytes.
  if (key.length > MAX_KEY_BYTES / 4 && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidKeyError(`${what} is longer than ${MAX_KEY_BYTES} bytes of UTF-8`)
  }
}

/**
 * Names the Valkey keys of an object. User input never reaches Valkey verbatim: the
 * namespace, bucket and key are hashed, so `{`, `}`, `*` or `\r\n` in an S3 key can pick
 * neither a cluster slot nor a glob, and every key stays under `keyPrefix`.
 */
export function entryKeys(
  keyPrefix: string,
  namespace: 'o' | 'w' | 't',
  bucket: string,
  key: string,
): EntryKeys {
  // One-shot `crypto.hash`: this runs on every read, and is several times cheaper than createHash().
  const tag = hash('sha256', `${namespace}\0${bucket}\0${key}`, 'base64url').slice(0, 22)
  return keysOf(`${keyPrefix}{${tag}}`)
}

/**
 * The set of entries carrying `tag`, and the tag's name in the tag log: hashed like every key, so a tag
 * picks no slot. The set lives in its own slot, apart from its members.
 */
export function tagKeys(keyPrefix: string, tag: string): { members: string; id: string } {
  const { entry, dependents } = entryKeys(keyPrefix, 't', '', tag)
  return { members: dependents, id: entry.slice(keyPrefix.length + 1, -1) }
}

/** How many sweep indexes list the dependents sets, each in a slot of its own (see `store/scripts.ts`). */
export const SWEEP_INDEXES = 16

const TAG_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * The sweep index that lists a dependents set (`prefix{tag}:deps`, see {@link keysOf}): chosen by the
 * set's hash tag, so the sets spread over {@link SWEEP_INDEXES} indexes and as many slots.
 */
export function sweepIndexOf(set: string): string {
  const open = set.indexOf('{')
  const shard = Math.max(0, TAG_CHARACTERS.indexOf(set.charAt(open + 1))) % SWEEP_INDEXES
  return sweepIndexKey(set.slice(0, open), shard)
}

/** The key of sweep index `shard` under `keyPrefix`. */
export function sweepIndexKey(keyPrefix: string, shard: number): string {
  return `${keyPrefix}{sets-${shard}}:sets`
}

/** The tag log (see `store/scripts.ts`): one key in a slot of its own. */
export function tagLogKey(keyPrefix: string): string {
  return `${keyPrefix}{tags}:log`
}

/** One thing the cache reads or writes: its L1 id, its Valkey keys, and names for events. */
export interface CacheTarget {
  /** The L1 id: namespace, bucket and key, unhashed (L1 is in-process). */
  readonly id: string
  readonly keys: EntryKeys
  /** The S3 key or `wrap` key, for events and errors. */
  readonly key: string
  /** The bucket of an S3 object; absent for `wrap` values. */
  readonly bucket?: string | undefined
}

/** An S3 object's target: its bucket is known. */
export type ObjectTarget = CacheTarget & { readonly bucket: string }

/** The target of an S3 object; throws {@link InvalidKeyError} for a bad key or bucket. */
export function objectTarget(keyPrefix: string, bucket: string, key: string): ObjectTarget {
  validateKey(key)
  validateKey(bucket, 'bucket')
  return { id: `o\0${bucket}\0${key}`, keys: entryKeys(keyPrefix, 'o', bucket, key), key, bucket }
}

/** The target of a `wrap` value; throws {@link InvalidKeyError} for a bad key. */
export function wrapTarget(keyPrefix: string, key: string): CacheTarget {
  validateKey(key)
  return { id: `w\0${key}`, keys: entryKeys(keyPrefix, 'w', '', key), key }
}

/** How many targets a cache remembers (about 300 bytes each). */
const REMEMBERED_TARGETS = 1000

/**
 * The targets of one cache, remembered for the keys it read last: a repeated read of a key neither
 * validates nor hashes it again, so the entry's CRC-32 is the only hash of a hit.
 */
export class Targets {
  private readonly keyPrefix: string
  /** By bucket, then key: a lookup needs no string built ('' holds the `wrap` targets). */
  private readonly remembered = new Map<string, Map<string, CacheTarget>>()
  private count = 0

  constructor(keyPrefix: string) {
    this.keyPrefix = keyPrefix
  }

  /** {@link objectTarget}, remembered. */
  object(bucket: string, key: string): ObjectTarget {
    // Only strings are looked up: the number 1 must be refused, not found as the key '1'.
    const known =
      typeof key === 'string' && typeof bucket === 'string' && bucket !== ''
        ? this.remembered.get(bucket)?.get(key)
        : undefined
    return (
      (known as ObjectTarget | undefined) ?? this.remember(bucket, objectTarget(this.keyPrefix, bucket, key))
    )
  }

  /** {@link wrapTarget}, remembered. */
  wrap(key: string): CacheTarget {
    const known = typeof key === 'string' ? this.remembered.get('')?.get(key) : undefined
    return known ?? this.remember('', wrapTarget(this.keyPrefix, key))
  }

  private remember<T extends CacheTarget>(bucket: string, target: T): T {
    // Forgetting everything at the bound keeps this O(1) and simple; hot keys come back at their next read.
    if (this.count >= REMEMBERED_TARGETS) {
      this.remembered.clear()
      this.count = 0
    }
    let keys = this.remembered.get(bucket)
    if (!keys) {
      keys = new Map()
      this.remembered.set(bucket, keys)
    }
    keys.set(target.key, target)
    this.count++
    return target
  }
}

/**
 * The change channel of a key prefix, on which every change is published for other processes' L1,
 * and the counter that numbers its messages (see `coherence.ts`): one hash tag, so one slot.
 */
export function changeKeys(keyPrefix: string): { channel: string; counter: string } {
  return { channel: `${keyPrefix}{l1}`, counter: `${keyPrefix}{l1}:n` }
}
