import { randomInt } from 'node:crypto'
import { type EntryKeys, sweepIndexOf } from '../keys'
import {
  APPLY_EVENT,
  BEGIN,
  CHANGE_COUNT,
  COMMIT,
  DEPEND,
  ENLIST,
  LOG_TAGS,
  MARK,
  PUBLISH_CHANGE,
  PURGE,
  RELEASE,
  REPLACE,
  type Script,
  SET_DUE,
  SET_LISTED,
  SETS_SWEPT,
  SWEEP_SET,
  TAGS_UNCHANGED,
  TAKE,
  TOUCH,
} from './scripts'
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

/** A script key or argument as both clients send it: text, or bytes (an entry). */
export type ScriptArg = string | number | Buffer

/** The `maxmemory_policy` line of an `INFO memory` reply. */
export function policyOf(info: unknown): string | undefined {
  return /^maxmemory_policy:(\S+)/m.exec(String(info))?.[1]
}

/** A new tag log's `#born` or change counter's start: random, and exact as a double (which holds 2^53). */
const newLogIdentity = () => String(randomInt(1, 2 ** 47))

/** A reply's score or value as a string (a client answers numbers or strings), or `undefined` for nil. */
const text = (value: unknown) => (value === null || value === undefined ? undefined : String(value))

/**
 * A reply's list of entry keys as strings: a client may decode bulk strings as Buffers (GLIDE with
 * `defaultDecoder: Decoder.Bytes`), and callers compare keys as strings.
 */
const asStrings = (reply: unknown): string[] => (reply as unknown[]).map(String)

/** An entry's checksum as the scripts compare it (bytes 20–23); empty, which matches nothing, when unknown. */
function checksumBytes(checksum: number | undefined): Buffer {
  const bytes = Buffer.alloc(checksum === undefined ? 0 : 4)
  if (checksum !== undefined) bytes.writeUInt32BE(checksum)
  return bytes
}

/**
 * The store's writes, each one script of `scripts.ts`, over any client that can run a script and read
 * a sorted set's scores: iovalkey (`ValkeyStore`) and GLIDE (`GlideStore`) differ only in how they send
 * them, how they read an entry, and how they connect.
 */
export abstract class ScriptedStore implements Store {
  /** Runs `script` with `keys` (one hash tag) and `args`. */
  protected abstract run(script: Script, keys: string[], args: ScriptArg[]): Promise<unknown>
  abstract get(key: string): Promise<Buffer | null>
  abstract evictionPolicies(): Promise<string[]>
  abstract ping(): Promise<void>
  /** Whether the server is a cluster, whose change channel is sharded (SPUBLISH, SSUBSCRIBE). */
  protected abstract sharded(): Promise<boolean>
  abstract connect(): Promise<void>
  abstract close(): Promise<void>

  async begin(keys: EntryKeys, token: string, leaseMs: number, tagLog: string): Promise<LoadTicket> {
    const args = [token, leaseMs === 0 ? 0 : pxMs(leaseMs), freshGeneration(), GENERATION_TTL_MS]
    // Sent together: one round trip (both ride one write on a standalone server).
    const [[generation, leased], [born, epoch]] = (await Promise.all([
      this.run(BEGIN, [keys.lease, keys.generation], args),
      this.run(MARK, [tagLog], [newLogIdentity(), GENERATION_TTL_MS]),
    ])) as [[string, number], [unknown, unknown]]
    return {
      generation: String(generation),
      leased: leased === 1,
      tagMark: { born: text(born), epoch: text(epoch) },
    }
  }

  async commit(
    keys: EntryKeys,
    generation: string,
    token: string,
    value: Buffer,
    ttlMs: number,
  ): Promise<boolean> {
    const keyList = [keys.entry, keys.generation, keys.lease]
    return (await this.run(COMMIT, keyList, [generation, token, value, pxMs(ttlMs)])) === 1
  }

  async touch(
    keys: EntryKeys,
    generation: string,
    token: string,
    checksum: number | undefined,
    times: Buffer,
    ttlMs: number,
  ): Promise<boolean> {
    const keyList = [keys.entry, keys.generation, keys.lease]
    const expected = checksumBytes(checksum)
    return (await this.run(TOUCH, keyList, [generation, token, times, pxMs(ttlMs), expected])) === 1
  }

  async release(keys: EntryKeys, token: string): Promise<void> {
    await this.run(RELEASE, [keys.lease], [token])
  }

  async generation(keys: EntryKeys): Promise<string> {
    const [generation] = (await this.run(
      BEGIN,
      [keys.lease, keys.generation],
      ['', 0, freshGeneration(), GENERATION_TTL_MS],
    )) as [string, number]
    return String(generation)
  }

  async replace(
    keys: EntryKeys,
    generation: string,
    value: Buffer,
    ttlMs: number,
  ): Promise<Removed & { written: boolean }> {
    const args = [value, pxMs(ttlMs), GENERATION_TTL_MS, Date.now(), generation]
    const keyList = [keys.entry, keys.generation, keys.dependents]
    const [written, dependents] = (await this.run(REPLACE, keyList, args)) as [number, unknown]
    return { written: written === 1, removed: written !== 1, dependents: asStrings(dependents) }
  }

  async purge(keys: EntryKeys): Promise<Removed> {
    const keyList = [keys.entry, keys.generation, keys.dependents]
    const [deleted, dependents] = (await this.run(PURGE, keyList, [GENERATION_TTL_MS, Date.now()])) as [
      number,
      unknown,
    ]
    return { removed: deleted === 1, dependents: asStrings(dependents) }
  }

  async applyEvent(keys: EntryKeys, sequencer: string): Promise<Removed> {
    const keyList = [keys.entry, keys.generation, keys.sequencer, keys.dependents]
    const args = [sequencer, GENERATION_TTL_MS, Date.now()]
    const [applied, dependents] = (await this.run(APPLY_EVENT, keyList, args)) as [number, unknown]
    return { removed: applied === 1, dependents: asStrings(dependents) }
  }

  async enlist(
    set: string,
    member: string,
    ttlMs: number,
    maxMembers: number,
    witness?: Witness,
  ): Promise<boolean> {
    const now = Date.now()
    const until = now + pxMs(ttlMs)
    // Listed for the sweep in the same round trip: a set listed but not enlisted in is swept at no cost.
    const listed = this.run(SET_LISTED, [sweepIndexOf(set)], [until, set])
    let added: Promise<unknown>
    if (!witness) added = this.run(ENLIST, [set], [member, ttlMs, now, maxMembers])
    else {
      const checksum = checksumBytes(witness.checksum)
      const keyList = [witness.keys.entry, witness.keys.generation, witness.keys.dependents]
      const args = [checksum, witness.generation ?? '', member, ttlMs, now, maxMembers]
      added = this.run(DEPEND, keyList, args)
    }
    const [result] = await Promise.all([added, listed])
    return result === 1
  }

  async sweepSets(index: string, limit: number): Promise<number> {
    const now = Date.now()
    const due = asStrings(await this.run(SET_DUE, [index], [now, limit]))
    if (due.length === 0) return 0
    const latest = await Promise.all(due.map((set) => this.run(SWEEP_SET, [set], [now])))
    const pairs = due.flatMap((set, i) => [set, String(latest[i] ?? 0)])
    await this.run(SETS_SWEPT, [index], [now, ...pairs])
    return latest.filter((last) => Number(last) === 0).length
  }

  async take(set: string): Promise<string[]> {
    return asStrings(await this.run(TAKE, [set], [Date.now()]))
  }

  async logTags(tagLog: string, tagIds: readonly string[], maxLog: number): Promise<void> {
    await this.run(LOG_TAGS, [tagLog], [newLogIdentity(), GENERATION_TTL_MS, maxLog, ...tagIds])
  }

  async tagsUnchanged(tagLog: string, mark: TagMark, tagIds: readonly string[]): Promise<boolean> {
    const args = [mark.born ?? '', mark.epoch ?? '', ...tagIds]
    return (await this.run(TAGS_UNCHANGED, [tagLog], args)) === 1
  }

  async publishChange(counter: string, channel: string, message: string): Promise<number> {
    const command = (await this.sharded()) ? 'spublish' : 'publish'
    return Number(await this.run(PUBLISH_CHANGE, [counter], [channel, command, message, newLogIdentity()]))
  }

  async changeCount(counter: string): Promise<number> {
    return Number(await this.run(CHANGE_COUNT, [counter], [newLogIdentity()]))
  }
}
