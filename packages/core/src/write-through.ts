import type { S3Client } from '@aws-sdk/client-s3'
import type { InvalidateOptions, PutOptions } from './cache-api'
import type { CompressionSettings } from './compression'
import { EntryKind, encodeEntry } from './entry'
import { CacheConfigError, CacheWriteError } from './errors'
import type { CacheTarget, ObjectTarget } from './keys'
import type { L1Cache } from './l1'
import { putObject } from './origin/s3'
import { entryTimes, type PolicyDefaults, readPolicy } from './policy'
import { normalizeSequencer } from './sequencer'
import { FAILED, type GuardedStore } from './store/guarded'
import type { Store } from './store/store'

export interface WriteSettings {
  store: GuardedStore
  l1: L1Cache | undefined
  s3: S3Client
  s3TimeoutMs: number
  maxObjectBytes: number
  compression: CompressionSettings | false
  defaults: PolicyDefaults
}

const textEncoder = new TextEncoder()

/**
 * The write path: `put` writes S3, then replaces the entry; `invalidate` removes it. Both bump the
 * object's generation in Valkey, so a load that began before cannot write its older body back.
 * A cache update that fails is a {@link CacheWriteError}: S3 is written, readers may see the old body.
 */
export class WriteThrough {
  private readonly settings: WriteSettings

  constructor(settings: WriteSettings) {
    this.settings = settings
  }

  async put(target: ObjectTarget, body: Uint8Array | string, options: PutOptions) {
    const { l1, maxObjectBytes, compression } = this.settings
    const bytes = typeof body === 'string' ? textEncoder.encode(body) : body
    const policy = readPolicy(this.settings.defaults, { ttl: options.ttl })
    const { etag } = await putObject({
      s3: this.settings.s3,
      bucket: target.bucket,
      key: target.key,
      body: bytes,
      contentType: options.contentType,
      cacheControl: options.cacheControl,
      metadata: options.metadata,
      timeoutMs: this.settings.s3TimeoutMs,
    })
    l1?.delete(target.id)
    if (bytes.byteLength > maxObjectBytes) {
      await this.write(target, `put ${target.key}`, (s) => s.invalidate(target.keys))
      return { etag }
    }
    const { freshUntil, staleUntil, ttlMs } = entryTimes(policy, Date.now())
    const { value } = encodeEntry(
      {
        kind: EntryKind.object,
        body: bytes,
        etag,
        contentType: options.contentType,
        metadata: options.metadata,
        freshUntil,
        staleUntil,
      },
      compression,
    )
    await this.write(target, `put ${target.key}`, (s) => s.replace(target.keys, value, ttlMs))
    return { etag }
  }

  async invalidate(target: CacheTarget, options: InvalidateOptions): Promise<boolean> {
    const sequencer = normalizeSequencer(options.sequencer)
    if (options.sequencer !== undefined && sequencer === undefined)
      throw new CacheConfigError('sequencer', 'expected hexadecimal digits, as S3 events carry them')
    this.settings.l1?.delete(target.id)
    return this.write(target, `invalidate ${target.key}`, (s) => s.invalidate(target.keys, sequencer))
  }

  private async write<T>(target: CacheTarget, what: string, run: (store: Store) => Promise<T>): Promise<T> {
    const result = await this.settings.store.call('valkey-write', target.key, run)
    if (result === FAILED) {
      throw new CacheWriteError(
        `${what}: the cache entry could not be updated; readers may see the old body until its TTL ends`,
      )
    }
    return result as T
  }
}
