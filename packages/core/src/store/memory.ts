import { CHECKSUM_OFFSET, TIMES_OFFSET } from '../entry'
import type { EntryKeys } from '../keys'
import { ByteLru } from '../lru'
import { certainlyNotNewer } from '../sequencer'
import {
  freshGeneration,
  GENERATION_TTL_MS,
  type LoadTicket,
  pxMs,
  type Removed,
  type Store,
  type TagMark,
  type Witness,
} from './store'

/** Bytes counted per member of a dependents set (its entry key and the map's overhead). */
const MEMBER_BYTES = 96

/** The tag log, as the Valkey store keeps it in a sorted set (see `scripts.ts`). */
interface TagLog {
  born: string
  epoch: number
  floor: number
  /** Tag id → the epoch of its last invalidation, oldest first. */
  tags: Map<string, number>
}

/** Default bound of the memory store: 64 MiB of stored values. */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/**
 * The embedded store: one process, no network. The same semantics as the Valkey store
 * (its scripts become plain synchronous code here), bounded in bytes, LRU-evicted.
 */
export class MemoryStore implements Store {
  private readonly data: ByteLru<Buffer>
  /** Dependents sets: member → until (ms); bounded like the values, in their own LRU. */
  private readonly sets: ByteLru<Map<string, number>>
  private readonly tagLogs = new Map<string, TagLog>()

  constructor(maxBytes = DEFAULT_MAX_BYTES) {
    this.data = new ByteLru(maxBytes)
    // A set the bound pushes out takes its members with it: a removal must never miss one (in Valkey,
    // sets have no TTL, so volatile eviction never takes them).
    this.sets = new ByteLru(maxBytes, (_set, members, reason) => {
      if (reason === 'evicted') for (const member of members.keys()) this.data.delete(member)
    })
  }

  /** The live members of `set` (expired ones pruned); a new map when absent. */
  private liveMembers(set: string, now: number): Map<string, number> {
    const members = this.sets.get(set) ?? new Map<string, number>()
    for (const [member, until] of members) if (until <= now) members.delete(member)
    return members
  }

  private takeNow(set: string): string[] {
    const members = [...this.liveMembers(set, Date.now()).keys()]
    this.sets.delete(set)
    return members
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

  /** A copy, as every Valkey GET is fresh bytes: a body decoded in place must not reach the stored value. */
  async get(key: string): Promise<Buffer | null> {
    const value = this.read(key)
    return value === undefined ? null : Buffer.from(value)
  }

  async begin(keys: EntryKeys, token: string, leaseMs: number, tagLog: string): Promise<LoadTicket> {
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
    // As MARK: a load creates the log when it is absent, so every load has a mark.
    const log = this.tagLogOf(tagLog)
    return { generation, leased, tagMark: { born: log.born, epoch: String(log.epoch) } }
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

  async generation(keys: EntryKeys): Promise<string> {
    let generation = this.generationOf(keys)
    if (generation === undefined) {
      generation = freshGeneration()
      this.write(keys.generation, Buffer.from(generation), GENERATION_TTL_MS)
    }
    return generation
  }

  async replace(
    keys: EntryKeys,
    generation: string,
    value: Buffer,
    ttlMs: number,
  ): Promise<Removed & { written: boolean }> {
    const px = pxMs(ttlMs)
    const written = this.generationOf(keys) === generation
    if (written) this.write(keys.entry, value, px)
    else this.data.delete(keys.entry)
    this.bump(keys)
    return { written, removed: !written, dependents: this.takeNow(keys.dependents) }
  }

  async purge(keys: EntryKeys): Promise<Removed> {
    this.bump(keys)
    const removed = this.read(keys.entry) !== undefined
    this.data.delete(keys.entry)
    return { removed, dependents: this.takeNow(keys.dependents) }
  }

  async applyEvent(keys: EntryKeys, sequencer: string): Promise<Removed> {
    const last = this.read(keys.sequencer)?.toString()
    if (last !== undefined && certainlyNotNewer(sequencer, last)) return { removed: false, dependents: [] }
    this.write(keys.sequencer, Buffer.from(sequencer), GENERATION_TTL_MS)
    this.bump(keys)
    this.data.delete(keys.entry)
    return { removed: true, dependents: this.takeNow(keys.dependents) }
  }

  async enlist(
    set: string,
    member: string,
    ttlMs: number,
    maxMembers: number,
    witness?: Witness,
  ): Promise<boolean> {
    const px = pxMs(ttlMs)
    if (witness && !this.unchanged(witness)) return false
    const now = Date.now()
    const members = this.liveMembers(set, now)
    if (!members.has(member) && members.size >= maxMembers) return false
    members.set(member, Math.max(members.get(member) ?? 0, now + px))
    const last = Math.max(...members.values())
    this.sets.set(set, members, members.size * MEMBER_BYTES, last - now)
    return true
  }

  /** As `DEPEND`: the entry has the checksum read, or the generation key the value the load began under. */
  private unchanged(witness: Witness): boolean {
    const entry = this.read(witness.keys.entry)
    if (
      witness.checksum !== undefined &&
      entry !== undefined &&
      entry.length >= CHECKSUM_OFFSET + 4 &&
      entry.readUInt32BE(CHECKSUM_OFFSET) === witness.checksum
    )
      return true
    return witness.generation !== undefined && this.generationOf(witness.keys) === witness.generation
  }

  /** Nothing to sweep: a set here expires with its last member. */
  async sweepSets(): Promise<number> {
    return 0
  }

  async take(set: string): Promise<string[]> {
    return this.takeNow(set)
  }

  /** The tag log at `tagLog`, created when absent. */
  private tagLogOf(tagLog: string): TagLog {
    let log = this.tagLogs.get(tagLog)
    if (!log) {
      log = { born: freshGeneration(), epoch: 0, floor: 0, tags: new Map() }
      this.tagLogs.set(tagLog, log)
    }
    return log
  }

  async logTags(tagLog: string, tagIds: readonly string[], maxLog: number): Promise<void> {
    const log = this.tagLogOf(tagLog)
    log.epoch++
    for (const id of tagIds) {
      log.tags.delete(id) // re-inserted last: the map stays ordered by epoch
      log.tags.set(id, log.epoch)
    }
    for (const [id, epoch] of log.tags) {
      if (log.tags.size <= maxLog) break
      log.tags.delete(id)
      log.floor = Math.max(log.floor, epoch)
    }
  }

  async tagsUnchanged(tagLog: string, mark: TagMark, tagIds: readonly string[]): Promise<boolean> {
    // As TAGS_UNCHANGED: a log gone or born again since the mark cannot tell, and refuses.
    const log = this.tagLogs.get(tagLog)
    if (!log || mark.born === undefined || mark.born !== log.born) return false
    const since = Number(mark.epoch)
    if (log.floor > since) return false
    return tagIds.every((id) => (log.tags.get(id) ?? 0) <= since)
  }

  /** Always there. */
  async ping(): Promise<void> {}

  /** The memory store evicts by its own rule (a set takes its members with it). */
  async evictionPolicies(): Promise<string[]> {
    return []
  }

  /** Nothing to open: the memory store lives in this process. */
  async connect(): Promise<void> {}

  async close(): Promise<void> {
    this.data.clear()
    this.sets.clear()
    this.tagLogs.clear()
  }
}
