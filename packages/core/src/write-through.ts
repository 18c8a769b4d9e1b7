import type { S3Client } from '@aws-sdk/client-s3'
import type { InvalidateOptions, PutOptions } from './cache-api'
import type { CompressionSettings } from './compression'
import type { Dependents } from './dependents'
import { EntryKind, encodeEntry } from './entry'
import { CacheConfigError, CacheWriteError } from './errors'
import type { CacheTarget, ObjectTarget } from './keys'
import type { L1Cache } from './l1'
import { putObject } from './origin/s3'
import { entryTimes, type PolicyDefaults, readPolicy } from './policy'
import { normalizeSequencer } from './sequencer'
import { FAILED, type GuardedStore } from './store/guarded'
import type { Store } from './store/store'
import { TAGS_METADATA, tagsMetadata, validateTags } from './tags'

export interface WriteSettings {
  store: GuardedStore
  l1: L1Cache | undefined
  s3: S3Client
  s3TimeoutMs: number
  maxObjectBytes: number
  compression: CompressionSettings | false
  defaults: PolicyDefaults
  dependents: Dependents
}

const textEncoder = new TextEncoder()

/**
 * The write path: `put` writes S3, then replaces the entry; `invalidate` removes it. Both bump the
 * object's generation in Valkey, so a load that began before cannot write its older body back, and
 * both remove the entries built from the old body (its dependents). `invalidateTags` removes tagged
 * entries. A cache update that fails is a {@link CacheWriteError}: S3 is written, readers may see the
 * old body.
 */
export class WriteThrough {
  private readonly settings: WriteSettings

  constructor(settings: WriteSettings) {
    this.settings = settings
  }

  async put(target: ObjectTarget, body: Uint8Array | string, options: PutOptions) {
    const { l1, maxObjectBytes, compression, dependents } = this.settings
    const bytes = typeof body === 'string' ? textEncoder.encode(body) : body
    const policy = readPolicy(this.settings.defaults, { ttl: options.ttl })
    const tags = options.tags === undefined ? [] : validateTags(options.tags, 'tags')
    // Kept with the object, so a process that loads it again from S3 tags its entry the same way.
    const metadata =
      tags.length > 0 ? { ...options.metadata, [TAGS_METADATA]: tagsMetadata(tags) } : options.metadata
    // Fresh for its ttl from before S3 took the body: a put held up after it cannot stretch the bound.
    const written = Date.now()
    // Read before S3 is written: the entry is replaced only if no other write came since (see `replace`).
    // Without Valkey, '' matches nothing: the replace then removes the entry, if it runs at all.
    const read = await this.settings.store.call('valkey-write', target.key, (s) => s.generation(target.keys))
    const generation = read === FAILED ? '' : read
    const { etag } = await putObject({
      s3: this.settings.s3,
      bucket: target.bucket,
      key: target.key,
      body: bytes,
      contentType: options.contentType,
      cacheControl: options.cacheControl,
      metadata,
      timeoutMs: this.settings.s3TimeoutMs,
    })
    l1?.delete(target.id)
    const what = `put ${target.key}`
    const { freshUntil, staleUntil, ttlMs } = entryTimes(policy, written)
    // A tag whose set is full cannot list the entry: then it is removed, not replaced.
    const enlisted = bytes.byteLength <= maxObjectBytes && (await dependents.enlist(target, { tags }, ttlMs))
    if (enlisted === FAILED) throw this.failed(what)
    if (!enlisted) {
      await this.removeDependents(what, await this.write(target, what, (s) => s.purge(target.keys)))
      return { etag }
    }
    const { value } = encodeEntry(
      {
        kind: EntryKind.object,
        body: bytes,
        etag,
        contentType: options.contentType,
        metadata: metadata ?? {},
        freshUntil,
        staleUntil,
      },
      compression,
      target.keys.entry,
    )
    const replaced = await this.write(target, what, (s) => s.replace(target.keys, generation, value, ttlMs))
    await this.removeDependents(what, replaced)
    return { etag }
  }

  async invalidate(target: CacheTarget, options: InvalidateOptions): Promise<boolean> {
    const sequencer = normalizeSequencer(options.sequencer)
    if (options.sequencer !== undefined && sequencer === undefined)
      throw new CacheConfigError('sequencer', 'expected hexadecimal digits, as S3 events carry them')
    this.settings.l1?.delete(target.id)
    const what = `invalidate ${target.key}`
    const result = await this.write(target, what, (s) =>
      sequencer === undefined ? s.purge(target.keys) : s.applyEvent(target.keys, sequencer),
    )
    await this.removeDependents(what, result)
    return sequencer === undefined || result.removed
  }

  /** Removes every entry carrying any of `tags`, and their dependents. Resolves to how many it removed. */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    const removed = await this.settings.dependents.invalidateTags(tags)
    if (removed === FAILED) throw this.failed(`invalidateTags ${tags.join(', ')}`)
    return removed
  }

  /** The entries built from an object's old body go with it. */
  private async removeDependents(what: string, { dependents }: { dependents: string[] }): Promise<void> {
    if (dependents.length === 0) return
    if ((await this.settings.dependents.remove(dependents)) === FAILED)
      throw this.failed(`${what} (dependents)`)
  }

  private failed(what: string): CacheWriteError {
    return new CacheWriteError(
      `${what}: the cache entry could not be updated; readers may see the old body until its TTL ends`,
    )
  }

  private async write<T>(target: CacheTarget, what: string, run: (store: Store) => Promise<T>): Promise<T> {
    const result = await this.settings.store.call('valkey-write', target.key, run)
    if (result === FAILED) throw this.failed(what)
    return result as T
  }
}
