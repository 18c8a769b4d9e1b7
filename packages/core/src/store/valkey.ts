import { randomInt } from 'node:crypto'
import type { Cluster, Redis } from 'iovalkey'
import type { ValkeyClient } from '../connect/options'
import { withDeadline } from '../deadline'
import { ValkeyConnectionError } from '../errors'
import type { EntryKeys } from '../keys'
import {
  APPLY_EVENT,
  BEGIN,
  COMMIT,
  DEPEND,
  ENLIST,
  LOG_TAGS,
  PURGE,
  RELEASE,
  REPLACE,
  SCRIPTS,
  type Script,
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
import { WriteBatch } from './write-batch'

/** How long after a failed client creation the next use tries again. */
const RECREATE_COOLDOWN_MS = 1000

/** Waits until a client is ready (see `untilReady` in connect/create-client). */
export type WhenReady = (client: ValkeyClient) => Promise<void>

/**
 * The connections the cache sends commands to: the client itself, or on a cluster every primary
 * (scripts, GETs) and, when reads go to replicas, every replica.
 */
function servingNodes(client: ValkeyClient): { primaries: Redis[]; replicas: Redis[] } {
  if (!client.isCluster) return { primaries: [client as Redis], replicas: [] }
  const cluster = client as Cluster
  const replicas = cluster.options.scaleReads === 'slave' ? cluster.nodes('slave') : []
  return { primaries: cluster.nodes('master'), replicas }
}

/**
 * The Valkey store: one GET per read, and one script (EVALSHA) per conditional write.
 * Works the same on a standalone server and on a cluster, since every script's keys
 * share one hash tag.
 */
export class ValkeyStore implements Store {
  private client: ValkeyClient | undefined
  private connecting: Promise<ValkeyClient> | undefined
  private readonly create: (() => Promise<ValkeyClient>) | undefined
  private readonly whenReady: WhenReady
  private readonly timeoutMs: number
  private retryAt = 0
  private lastError: unknown
  private closed = false
  /** GETs of one tick leave in one write (see WriteBatch). */
  private batch: WriteBatch | undefined

  /**
   * Either a client to use (left open by `close()`), or a factory called on first use. A factory
   * that fails (Valkey unreachable at a cold start) is called again after a short cooldown, so
   * an environment born during an outage starts using Valkey once it is back.
   */
  constructor(
    source: ValkeyClient | (() => Promise<ValkeyClient>),
    settings: {
      /** Waits until a client is ready, within its connection bounds (`connect()`). */
      whenReady: WhenReady
      /** Bound on the commands of `connect()` and `close()`, ms. */
      timeoutMs: number
    },
  ) {
    if (typeof source === 'function') this.create = source
    else this.client = source
    this.whenReady = settings.whenReady
    this.timeoutMs = settings.timeoutMs
  }

  /**
   * Everything the first request would otherwise wait for: the client (and, in `cluster: 'auto'`,
   * its `INFO cluster`), the first connection and its AUTH, a cluster's slots and a connection to
   * every node that serves the cache, and the scripts loaded on every primary.
   */
  async connect(): Promise<void> {
    const client = await this.connected()
    if (this.closed) throw new ValkeyConnectionError('the cache is closed')
    await this.whenReady(client)
    const { primaries, replicas } = servingNodes(client)
    const load = (node: Redis) => Promise.all(SCRIPTS.map((script) => node.script('LOAD', script.source)))
    const ms = this.timeoutMs
    await withDeadline(
      ms,
      () => Promise.all([...primaries.map(load), ...replicas.map((node) => node.ping())]),
      () => new ValkeyConnectionError(`Valkey did not load the cache's scripts within ${ms} ms`),
    )
  }

  private connected(): ValkeyClient | Promise<ValkeyClient> {
    if (this.client) return this.client
    if (this.connecting) return this.connecting
    if (this.closed) return Promise.reject(new ValkeyConnectionError('the cache is closed'))
    if (!this.create || Date.now() < this.retryAt) return Promise.reject(this.lastError)
    this.connecting = this.create().then(
      (client) => {
        this.client = client
        this.connecting = undefined
        if (this.closed) client.disconnect()
        return client
      },
      (error: unknown) => {
        this.connecting = undefined
        this.lastError = error
        this.retryAt = Date.now() + RECREATE_COOLDOWN_MS
        throw error
      },
    )
    return this.connecting
  }

  private async run(script: Script, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
    const client = await this.connected()
    try {
      return await client.evalsha(script.sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error
      return client.eval(script.source, keys.length, ...keys, ...args)
    }
  }

  // Not async: a hit's GET is the client's own promise, with no wrapper around it.
  get(key: string): Promise<Buffer | null> {
    if (!this.client) return Promise.resolve(this.connected()).then(() => this.get(key))
    this.batch ??= new WriteBatch(this.client)
    this.batch.join()
    return this.client.getBuffer(key)
  }

  async begin(keys: EntryKeys, token: string, leaseMs: number, tagLog: string): Promise<LoadTicket> {
    const args = [token, leaseMs === 0 ? 0 : pxMs(leaseMs), freshGeneration(), GENERATION_TTL_MS]
    const client = await this.connected()
    // Sent together: one round trip (both ride one write on a standalone server).
    const [[generation, leased], [born, epoch]] = (await Promise.all([
      this.run(BEGIN, [keys.lease, keys.generation], args),
      client.zmscore(tagLog, '#born', '#epoch'),
    ])) as [[string, number], [string | null, string | null]]
    return {
      generation: String(generation),
      leased: leased === 1,
      tagMark: { born: born ?? undefined, epoch: epoch ?? undefined },
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
    const expected = Buffer.alloc(checksum === undefined ? 0 : 4) // empty matches nothing
    if (checksum !== undefined) expected.writeUInt32BE(checksum)
    return (await this.run(TOUCH, keyList, [generation, token, times, pxMs(ttlMs), expected])) === 1
  }

  async release(keys: EntryKeys, token: string): Promise<void> {
    await this.run(RELEASE, [keys.lease], [token])
  }

  async replace(keys: EntryKeys, value: Buffer, ttlMs: number): Promise<string[]> {
    const keyList = [keys.entry, keys.generation, keys.dependents]
    const args = [value, pxMs(ttlMs), GENERATION_TTL_MS, Date.now()]
    return (await this.run(REPLACE, keyList, args)) as string[]
  }

  async purge(keys: EntryKeys): Promise<Removed> {
    const keyList = [keys.entry, keys.generation, keys.dependents]
    const [deleted, dependents] = (await this.run(PURGE, keyList, [GENERATION_TTL_MS, Date.now()])) as [
      number,
      string[],
    ]
    return { removed: deleted === 1, dependents }
  }

  async applyEvent(keys: EntryKeys, sequencer: string): Promise<Removed> {
    const keyList = [keys.entry, keys.generation, keys.sequencer, keys.dependents]
    const args = [sequencer, GENERATION_TTL_MS, Date.now()]
    const [applied, dependents] = (await this.run(APPLY_EVENT, keyList, args)) as [number, string[]]
    return { removed: applied === 1, dependents }
  }

  async enlist(
    set: string,
    member: string,
    ttlMs: number,
    maxMembers: number,
    witness?: Witness,
  ): Promise<boolean> {
    const now = Date.now()
    if (!witness) return (await this.run(ENLIST, [set], [member, pxMs(ttlMs), now, maxMembers])) === 1
    const checksum = Buffer.alloc(witness.checksum === undefined ? 0 : 4) // empty matches nothing
    if (witness.checksum !== undefined) checksum.writeUInt32BE(witness.checksum)
    const keyList = [witness.keys.entry, witness.keys.generation, witness.keys.dependents]
    const args = [checksum, witness.generation ?? '', member, pxMs(ttlMs), now, maxMembers]
    return (await this.run(DEPEND, keyList, args)) === 1
  }

  async take(set: string): Promise<string[]> {
    return (await this.run(TAKE, [set], [Date.now()])) as string[]
  }

  async logTags(tagLog: string, tagIds: readonly string[], maxLog: number): Promise<void> {
    const born = String(randomInt(1, 2 ** 47))
    await this.run(LOG_TAGS, [tagLog], [born, GENERATION_TTL_MS, maxLog, ...tagIds])
  }

  async tagsUnchanged(tagLog: string, mark: TagMark, tagIds: readonly string[]): Promise<boolean> {
    const args = [mark.born ?? '', mark.epoch ?? '', ...tagIds]
    return (await this.run(TAGS_UNCHANGED, [tagLog], args)) === 1
  }

  /**
   * Ends the client this store created (a client passed in stays open): `QUIT`, or a disconnect when
   * Valkey does not answer within the bound. A client still being created is ended when it arrives.
   */
  async close(): Promise<void> {
    this.closed = true
    const client = this.create ? this.client : undefined
    if (!client) return
    const ms = this.timeoutMs
    await withDeadline(
      ms,
      () => client.quit(),
      () => new ValkeyConnectionError(`QUIT got no answer within ${ms} ms`),
    ).catch(() => client.disconnect())
  }
}
