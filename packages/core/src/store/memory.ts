import { CHECKSUM_OFFSET, TIMES_OFFSET } from '../entry'
import type { EntryKeys } from '../keys'
import { ByteLru } from '../lru'
import { certainlyNotNewer } from '../sequencer'
import { freshGeneration, GENERATION_TTL_MS, type LoadTicket, pxMs, type Store } from './store'

/** Default bound of the memory store: 64 MiB of stored values. */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/**
 * The embedded store: one process, no network. The same semantics as the Valkey store
 * (its scripts become plain synchronous code here), bounded in bytes, LRU-evicted.
 */
export class MemoryStore implements Store {
  private readonly data: ByteLru<Buffer>

  constructor(maxBytes = DEFAULT_MAX_BYTES) {
    this.data = new ByteLru(maxBytes)
  }

  /** Every value is stored with a ttl (as every command the scripts send carries PX). */
  private write(key: string, value: Buffer, ttlMs: number): void {
    this.data.set(key, value, value.length + key.length, ttlMs)
  }

  private read(key: string): Buffer | undefined {
    return this.data.get(key)
  }

  /** The generation key's value; `undefined` when absent (never created, evicted or expired). */
  private generationOf(keys: EntryKeys): string | undefined {
    return this.read(keys.generation)?.toString()
  }

  private releaseNow(keys: EntryKeys, token: string): void {
    if (token && this.read(keys.lease)?.toString() === token) this.data.delete(keys.lease)
  }

  /** As the scripts: PEXPIRE, and INCR only if the key exists. */
  private bump(keys: EntryKeys): void {
    const current = this.generationOf(keys)
    if (current === undefined) return
    const next = String(BigInt(current) + 1n)
    this.write(keys.generation, Buffer.from(next), GENERATION_TTL_MS)
  }

  async get(key: string): Promise<Buffer | null> {
    return this.read(key) ?? null
  }

  async begin(keys: EntryKeys, token: string, leaseMs: number): Promise<LoadTicket> {
    const px = leaseMs === 0 ? 0 : pxMs(leaseMs)
    let leased = false
    if (px > 0) {
      const holder = this.read(keys.lease)
      if (!holder) this.write(keys.lease, Buffer.from(token), px)
      // As the Valkey script: a lease already held with this token counts as taken.
      leased = !holder || holder.toString() === token
    }
    let generation = this.generationOf(keys)
    if (generation === undefined) {
      generation = freshGeneration()
      this.write(keys.generation, Buffer.from(generation), GENERATION_TTL_MS)
    }
    return { generation, leased }
  }

  async commit(
    keys: EntryKeys,
    generation: string,
    token: string,
    value: Buffer,
    ttlMs: number,
  ): Promise<boolean> {
    const px = pxMs(ttlMs)
    const written = this.generationOf(keys) === generation
    if (written) this.write(keys.entry, value, px)
    this.releaseNow(keys, token)
    return written
  }

  async touch(
    keys: EntryKeys,
    generation: string,
    token: string,
    checksum: number | undefined,
    times: Buffer,
    ttlMs: number,
  ): Promise<boolean> {
    const px = pxMs(ttlMs)
    const current = this.read(keys.entry)
    const written =
      current !== undefined &&
      checksum !== undefined &&
      current.length >= CHECKSUM_OFFSET + 4 &&
      current.readUInt32BE(CHECKSUM_OFFSET) === checksum &&
      this.generationOf(keys) === generation
    if (written) {
      const copy = Buffer.from(current)
      times.copy(copy, TIMES_OFFSET)
      this.write(keys.entry, copy, px)
    }
    this.releaseNow(keys, token)
    return written
  }

  async release(keys: EntryKeys, token: string): Promise<void> {
    this.releaseNow(keys, token)
  }

  async replace(keys: EntryKeys, value: Buffer, ttlMs: number): Promise<void> {
    const px = pxMs(ttlMs)
    this.bump(keys)
    this.write(keys.entry, value, px)
  }

  async invalidate(keys: EntryKeys, sequencer?: string): Promise<boolean> {
    if (sequencer !== undefined) {
      const last = this.read(keys.sequencer)?.toString()
      if (last !== undefined && certainlyNotNewer(sequencer, last)) return false
      this.write(keys.sequencer, Buffer.from(sequencer), GENERATION_TTL_MS)
    }
    this.bump(keys)
    this.data.delete(keys.entry)
    return true
  }

  /** Nothing to open: the memory store lives in this process. */
  async connect(): Promise<void> {}

  async close(): Promise<void> {
    this.data.clear()
  }
}
