import { type CacheTarget, keysOf, SWEEP_INDEXES, sweepIndexKey, tagKeys, tagLogKey } from './keys'
import { FAILED, type Failed, type GuardedStore } from './store/guarded'
import { MEMBER_MARGIN_MS, type TagMark, type Witness } from './store/store'

/** Tags the tag log remembers (about 120 bytes each); a load older than the oldest forgotten one does not commit. */
const MAX_TAG_LOG = 10_000

/** Removals sent at once. */
const BATCH = 256

/**
 * How often an enlisting also sweeps one index for dead sets (1 in 16), and how many sets a sweep
 * removes at most (32): twice as many sets can be swept as enlistings create, so the dead ones never
 * pile up, and a sweep costs two commands plus one per set, off the request's path.
 */
const SWEEP_EVERY = 16
const SWEEP_LIMIT = 32

export interface DependentSettings {
  store: GuardedStore
  keyPrefix: string
  /** Members one tag's or one entry's dependents set may hold. */
  maxDependents: number
  /** Told which entry keys (and tag set keys) a removal removed, so L1 forgets them (here and elsewhere). */
  removed: (keys: ReadonlySet<string>) => Promise<void>
}

/** What a load that is about to commit depends on. */
export interface Dependencies {
  tags?: readonly string[] | undefined
  /** Entries the load read (through a `wrap` loader's `cache`), as read. */
  reads?: readonly Witness[] | undefined
}

/**
 * Tags and dependencies: who must be removed with whom, paid at write time so that a hit stays one GET.
 *
 * A tagged or dependent entry is enlisted in a dependents set (the tag's, or the entry it was built
 * from) before it is written, and removing an entry or a tag takes that set and removes its members,
 * transitively. See `store/scripts.ts` for why a load cannot write after a removal it raced with.
 */
export class Dependents {
  private readonly settings: DependentSettings
  /** The key of the tag log, whose mark every load reads when it begins. */
  readonly log: string

  constructor(settings: DependentSettings) {
    this.settings = settings
    this.log = tagLogKey(settings.keyPrefix)
  }

  /**
   * Before `target` is written for `ttlMs`: enlists it in the set of each tag and of each entry it read,
   * then, for a load that began at `mark`, checks that none of its tags was invalidated since (a `put`
   * passes no mark: its body is the newest, there is no race to check). Resolves to whether it may be
   * written: `false` when something it depends on changed (or a set is full), `FAILED` when Valkey failed.
   */
  async enlist(
    target: CacheTarget,
    dependencies: Dependencies,
    ttlMs: number,
    mark?: TagMark,
  ): Promise<boolean | Failed> {
    const tags = (dependencies.tags ?? []).map((tag) => tagKeys(this.settings.keyPrefix, tag))
    const reads = dependencies.reads ?? []
    const { store, maxDependents } = this.settings
    const member = target.keys.entry
    const memberTtl = ttlMs + MEMBER_MARGIN_MS
    // Enlisted first: an invalidation after the check below finds the entry in its set.
    const enlisted = await Promise.all([
      ...tags.map(({ members }) =>
        store.call('valkey-write', target.key, (s) => s.enlist(members, member, memberTtl, maxDependents)),
      ),
      ...reads.map((witness) =>
        store.call('valkey-write', target.key, (s) =>
          s.enlist(witness.keys.dependents, member, memberTtl, maxDependents, witness),
        ),
      ),
    ])
    if (Math.random() * SWEEP_EVERY < 1) void this.sweep()
    if (enlisted.includes(FAILED)) return FAILED
    if (enlisted.includes(false)) return false
    if (tags.length === 0 || mark === undefined) return true
    const ids = tags.map((tag) => tag.id)
    return store.call('valkey-write', target.key, (s) => s.tagsUnchanged(this.log, mark, ids))
  }

  /** Removes dead dependents sets listed in one sweep index, chosen at random (in the background). */
  sweep(shard = Math.floor(Math.random() * SWEEP_INDEXES)): Promise<number | Failed> {
    const index = sweepIndexKey(this.settings.keyPrefix, shard)
    return this.settings.store.call('valkey-write', undefined, (s) => s.sweepSets(index, SWEEP_LIMIT))
  }

  /**
   * Removes every entry carrying any of `tags`, in every process: logs the invalidation (a load in
   * flight no longer commits), then takes each tag's set and removes its members and their dependents.
   * Resolves to how many entries it removed, or `FAILED`.
   */
  async invalidateTags(tags: readonly string[]): Promise<number | Failed> {
    const { store, keyPrefix } = this.settings
    const keys = tags.map((tag) => tagKeys(keyPrefix, tag))
    const ids = keys.map((key) => key.id)
    const logged = await store.call('valkey-write', undefined, (s) => s.logTags(this.log, ids, MAX_TAG_LOG))
    if (logged === FAILED) return FAILED
    const taken = await Promise.all(
      keys.map(({ members }) => store.call('valkey-write', undefined, (s) => s.take(members))),
    )
    if (taken.includes(FAILED)) return FAILED
    // The tags' set keys too: L1 forgets what it knows carries them, whatever the sets still listed.
    return this.remove(
      (taken as string[][]).flat(),
      keys.map((key) => key.members),
    )
  }

  /**
   * Removes the entries at `entryKeys` and, transitively, their dependents, however deep (each once, so
   * a cycle ends). Resolves to how many existed, or `FAILED` if a removal failed.
   */
  async remove(entryKeys: readonly string[], tagSets: readonly string[] = []): Promise<number | Failed> {
    const seen = new Set<string>()
    let level = [...entryKeys]
    let removed = 0
    let failed = false
    while (level.length > 0) {
      const todo = level.filter((key) => !seen.has(key))
      for (const key of todo) seen.add(key)
      const next: string[] = []
      for (let start = 0; start < todo.length; start += BATCH) {
        const results = await Promise.all(
          todo
            .slice(start, start + BATCH)
            .map((key) => this.settings.store.call('valkey-write', undefined, (s) => s.purge(keysOf(key)))),
        )
        for (const result of results) {
          if (result === FAILED) failed = true
          else {
            if (result.removed) removed++
            next.push(...result.dependents)
          }
        }
      }
      level = next
    }
    for (const set of tagSets) seen.add(set)
    if (seen.size > 0) await this.settings.removed(seen)
    return failed ? FAILED : removed
  }
}
