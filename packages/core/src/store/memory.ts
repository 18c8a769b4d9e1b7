import { LRUCache } from 'lru-cache'
import { TIMES_OFFSET } from '../entry'
import type { EntryKeys } from '../keys'
import { compareSequencers } from '../sequencer'
import { GENERATION_TTL_MS, type LoadTicket, type Store } from './store'

/** Default bound of the memory store: 64 MiB of stored values. */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/**
 * The embedded store: one process, no network. The same semantics as the Valkey store
 * (its scripts become plain synchronous code here), bounded in bytes, LRU-evicted.
 */
export class MemoryStore implements Store {
  private readonly data: LRUCache<string, Buffer>

  constructor(maxBytes = DEFAULT_MAX_BYTES) {
    this.data = new LRUCache<string, Buffer>({
      maxSize: maxBytes,
      sizeCalculation: (value, key) => value.length + key.length,
    })
  }

  private read(key: string): Buffer | undefined {
    return this.data.get(key)
  }

  private generationOf(keys: EntryKeys): string {
    return this.read(keys.generation)?.toString() ?? '0'
  }

  private releaseNow(keys: EntryKeys, token: string): void {
    if (token && this.read(keys.lease)?.toString() === token) this.data.delete(keys.lease)
  }

  private bump(keys: EntryKeys): void {
    const next = String(Number(this.generationOf(keys)) + 1)
    this.data.set(keys.generation, Buffer.from(next), { ttl: GENERATION_TTL_MS })
  }

  async get(key: string): Promise<Buffer | null> {
    return this.read(key) ?? null
  }

  async begin(keys: EntryKeys, token: string, leaseMs: number): Promise<LoadTicket> {
    let leased = false
    if (leaseMs > 0 && !this.read(keys.lease)) {
      this.data.set(keys.lease, Buffer.from(token), { ttl: leaseMs })
      leased = true
    }
    return { generation: this.generationOf(keys), leased }
  }

  async commit(
    keys: EntryKeys,
    generation: string,
    token: string,
    value: Buffer,
    ttlMs: number,
  ): Promise<boolean> {
    const written = this.generationOf(keys) === generation
    if (written) this.data.set(keys.entry, value, { ttl: ttlMs })
    this.releaseNow(keys, token)
    return written
  }

  async touch(
    keys: EntryKeys,
    generation: string,
    token: string,
    times: Buffer,
    ttlMs: number,
  ): Promise<boolean> {
    const current = this.read(keys.entry)
    const written = current !== undefined && this.generationOf(keys) === generation
    if (written) {
      const copy = Buffer.from(current)
      times.copy(copy, TIMES_OFFSET)
      this.data.set(keys.entry, copy, { ttl: ttlMs })
    }
    this.releaseNow(keys, token)
    return written
  }

  async release(keys: EntryKeys, token: string): Promise<void> {
    this.releaseNow(keys, token)
  }

  async replace(keys: EntryKeys, value: Buffer, ttlMs: number): Promise<void> {
    this.bump(keys)
    this.data.set(keys.entry, value, { ttl: ttlMs })
  }

  async invalidate(keys: EntryKeys, sequencer?: string): Promise<boolean> {
    if (sequencer !== undefined) {
      const last = this.read(keys.sequencer)?.toString()
      if (last !== undefined && compareSequencers(sequencer, last) <= 0) return false
      this.data.set(keys.sequencer, Buffer.from(sequencer), { ttl: GENERATION_TTL_MS })
    }
    this.bump(keys)
    this.data.delete(keys.entry)
    return true
  }

  async close(): Promise<void> {
    this.data.clear()
  }
}
