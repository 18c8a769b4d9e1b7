// The reference model: the README's consistency bounds, as rules over a run's history. Every answer
// is judged by when its call began and which changes had resolved by then:
//
// - a put, invalidate or applied S3 event (and invalidateTags, for tagged values) is seen by every read
//   that begins after it resolved: at once in the writing process and in processes without L1, within
//   one message delivery in another process with L1 (the change channel; freezes, stalls and lost
//   subscriptions included), within `l1.ttl` there when publishing the change failed;
// - a change the cache was not told about (a write outside the library, or one whose cache update failed)
//   is seen within `ttl` (plus `staleTtl` for answers that may be stale; `negativeTtl` for a cached
//   "not found"); a value built from objects carries their staleness, so within `ttl + staleTtl`;
// - every answer is exactly what some write or loader run produced (no caller changed it), and no call
//   fails with an untyped error or leaves an unhandled rejection.
import type { CallRecord, History, S3Version } from './history'
import type { Configuration } from './program'
import type { DependencyRead, LoaderRun } from './protocol'
import { expectedDigest } from './values'

/** Allowance for timer and clock granularity between processes, ms. */
const SLACK_MS = 50

/** The delivery bound of a change's message to another process's L1 (the README's figure), ms. */
const DELIVERY_MS = 100

/**
 * A primary that crashes may not have passed its last writes to its replica (replication is
 * asynchronous): changes that resolved this long before a crash of a cluster primary, or during it,
 * may be lost with it, and then count as changes the cache was not told about.
 */
const REPLICATION_WINDOW_MS = 500

/**
 * How long after a `silence` (every connection half-open) a worker's L1 may still hold what others
 * changed: the subscription's heartbeat `PING` (one a second) goes unanswered for `timeouts.valkey`, and
 * then L1 is emptied; plus a tick of timer lateness on a busy machine. Changes whose message was not
 * delivered before the silence are bounded by that moment too.
 */
const HEARTBEAT_MS = 1000
const TIMER_LATENESS_MS = 150

export interface Violation {
  rule: string
  detail: string
}

type Read = Extract<CallRecord, { kind: 'read' }>
type Wrap = Extract<CallRecord, { kind: 'wrap' }>

/** Who is reading, when it began, and how loose a bound its answer may claim. */
interface Reader {
  worker: number
  start: number
  /** The answer may be stale (labelled `stale`, or a call that does not tell). */
  mayBeStale: boolean
  /** A value built from this read: it may carry the staleness of what it was built from. */
  dependency: boolean
}

export class Model {
  private readonly history: History
  private readonly config: Configuration
  private readonly violations: Violation[] = []

  /** Spans during which a change may be lost in a crash of a cluster primary. */
  private readonly losses: [number, number][]

  /** When a `silence` began: a change near or after it may reach other L1s only when they find it. */
  private readonly silences: number[]

  /**
   * GLIDE: spans of faults after which its client subscribes again by itself (a crash, a failover, a
   * node paused, subscriptions killed). A change published before it has may reach that L1 only when
   * the counter, read every second, shows it missed.
   */
  private readonly resubscriptions: [number, number][]

  constructor(history: History, config: Configuration) {
    this.history = history
    this.config = config
    this.losses =
      config.store === 'cluster'
        ? history.calls.flatMap((call) =>
            call.kind === 'fault' && call.what === 'crash'
              ? [[call.start - REPLICATION_WINDOW_MS, call.end] as [number, number]]
              : [],
          )
        : []
    this.silences = history.calls.flatMap((call) =>
      call.kind === 'fault' && call.what === 'silence' ? [call.start] : [],
    )
    const glide = config.client !== 'iovalkey'
    this.resubscriptions = history.calls.flatMap((call) =>
      glide && call.kind === 'fault' && /^(crash|failover|unsubscribe|pause)/.test(call.what)
        ? [[call.start, call.end] as [number, number]]
        : [],
    )
  }

  /** Whether a change that resolved at `end` may have been lost in a crash. */
  private mayBeLost(end: number): boolean {
    return this.losses.some(([from, to]) => end >= from && end <= to)
  }

  judge(): Violation[] {
    const { history } = this
    for (const event of history.events) this.violation('no error', event)
    for (const call of history.calls) {
      if (call.kind === 'read') this.judgeRead(call)
      else if (call.kind === 'wrap') this.judgeWrap(call)
    }
    for (const run of history.runs.values()) {
      for (const read of run.reads) this.judgeDependencyRead(run, read)
    }
    return this.violations
  }

  private violation(rule: string, detail: string): void {
    this.violations.push({ rule, detail })
  }

  private get settings() {
    return this.history.settings
  }

  /** How long after a change resolved at `end` a reader in `worker` may still answer what was before it. */
  private lag(reader: number, writer: number, published: boolean | undefined, end: number): number {
    const l1 = this.settings.workers[reader]?.l1
    if (reader === writer || !l1) return 0
    let lag = published === false ? l1.ttl : Math.min(l1.ttl, DELIVERY_MS)
    const found = HEARTBEAT_MS + this.settings.cache.timeouts.valkey + TIMER_LATENESS_MS
    for (const silence of this.silences) {
      if (end >= silence - DELIVERY_MS - SLACK_MS && end <= silence + found)
        lag = Math.max(lag, Math.min(l1.ttl, silence + found - end))
    }
    for (const [from, to] of this.resubscriptions) {
      if (end >= from - DELIVERY_MS - SLACK_MS && end <= to + found)
        lag = Math.max(lag, Math.min(l1.ttl, found))
    }
    return lag + SLACK_MS
  }

  /** How long after S3 changed without the cache being told a reader may still answer the old state. */
  private untold(reader: Reader, found: boolean): number {
    const { ttl, staleTtl, negativeTtl } = this.settings.cache
    if (!found && !reader.dependency) return negativeTtl + SLACK_MS
    const stale = reader.mayBeStale || reader.dependency ? staleTtl : 0
    return Math.max(ttl, reader.dependency ? negativeTtl : 0) + stale + SLACK_MS
  }

  private versionsOf(key: string): S3Version[] {
    return this.history.versions.get(key) ?? []
  }

  /** The newest version S3 certainly held at `time` (0: none yet). */
  private certainAt(key: string, time: number): number {
    let version = 0
    for (const v of this.versionsOf(key)) if (v.outcome !== 'maybe' && v.end < time) version = v.version
    return version
  }

  /** The oldest version a reader may answer, and the change that says so. */
  private lowerBound(key: string, reader: Reader, found: boolean): { version: number; because: string } {
    let bound = { version: 0, because: 'nothing' }
    const untold = this.untold(reader, found)
    const raise = (version: number, effective: number, because: string, end: number) => {
      const at = this.mayBeLost(end) ? Math.max(effective, end + untold) : effective
      if (reader.start > at && version > bound.version) bound = { version, because }
    }
    for (const v of this.versionsOf(key)) {
      const what = `${v.by} of v${v.version}${v.worker === undefined ? '' : ` by worker ${v.worker}`} ended @${v.end.toFixed(1)}`
      if (v.outcome === 'ok')
        raise(
          v.version,
          v.end + this.lag(reader.worker, v.worker ?? -1, v.published, v.end),
          `${what} (ok)`,
          v.end,
        )
      else if (v.outcome !== 'maybe') raise(v.version, v.end + untold, `${what} (${v.outcome})`, v.end)
    }
    for (const call of this.history.calls) {
      if (call.kind === 'invalidate' && call.key === key && call.ok) {
        const version = this.certainAt(key, call.start)
        raise(
          version,
          call.end + this.lag(reader.worker, call.worker, call.published, call.end),
          `invalidate by worker ${call.worker} ended @${call.end.toFixed(1)}`,
          call.end,
        )
      }
      if (call.kind === 'event' && call.key === key && call.applied) {
        raise(
          call.version,
          call.end + this.lag(reader.worker, call.worker, call.published, call.end),
          `S3 event of v${call.version} applied by worker ${call.worker} @${call.end.toFixed(1)}`,
          call.end,
        )
      }
    }
    return bound
  }

  /** Whether answering `version` of `key` (0: not found) breaks a bound; the violation if so. */
  private checkVersion(key: string, reader: Reader, version: number, end: number): string | undefined {
    const versions = this.versionsOf(key)
    const found = version !== 0
    const bound = this.lowerBound(key, reader, found)
    if (found) {
      const written = versions.find((v) => v.version === version)
      if (!written || written.body === null || written.start > end)
        return `answered v${version}, which S3 never held then`
      if (version < bound.version)
        return `answered v${version}, older than v${bound.version}: ${bound.because}`
      return undefined
    }
    // "Not found": the object never existed yet, or a deletion at or after the bound could be current.
    const missing = [0, ...versions.filter((v) => v.body === null && v.start <= end).map((v) => v.version)]
    if (missing.some((v) => v >= bound.version)) return undefined
    return `answered "not found", but v${bound.version} exists: ${bound.because}`
  }

  private judgeRead(call: Read): void {
    if (call.error) {
      if (!call.error.typed)
        this.violation('typed errors', `${describe(call)}: untyped ${call.error.name}: ${call.error.message}`)
      return
    }
    const answer = call.object
    if (!answer) return
    const reader = {
      worker: call.worker,
      start: call.start,
      mayBeStale: call.status !== 'hit' && call.status !== 'miss',
      dependency: false,
    }
    const problem = this.checkVersion(call.key, reader, answer.version, call.end)
    if (problem) this.violation('object read', `${describe(call)}: ${problem}`)
    if (answer.version !== 0) {
      const body = this.versionsOf(call.key).find((v) => v.version === answer.version)?.body
      if (body && expectedDigest(body, call.as) !== answer.digest)
        this.violation(
          'answers are intact',
          `${describe(call)}: v${answer.version} as ${call.as} is not what was written (another caller changed it?)`,
        )
    }
  }

  /** An object a loader read through its context's `cache` is a read too, by the loader's worker. */
  private judgeDependencyRead(run: LoaderRun, read: DependencyRead): void {
    const reader = { worker: run.worker, start: read.start, mayBeStale: true, dependency: false }
    const problem = this.checkVersion(read.key, reader, read.version, read.end)
    if (problem)
      this.violation('object read', `loader run ${run.id} of ${run.name} read ${read.key}: ${problem}`)
  }

  /** The run and every run it was built from (`nested`). */
  private closure(run: LoaderRun): LoaderRun[] {
    const all = [run]
    for (let at = run; at.nested !== undefined; ) {
      const next = this.history.runs.get(at.nested)
      if (!next || all.includes(next)) break
      all.push(next)
      at = next
    }
    return all
  }

  private judgeWrap(call: Wrap): void {
    if (call.error) {
      if (!call.error.typed)
        this.violation('typed errors', `${describe(call)}: untyped ${call.error.name}: ${call.error.message}`)
      return
    }
    if (!call.value) return
    const run = this.history.runs.get(call.value.run)
    if (!run) {
      this.violation(
        'answers are intact',
        `${describe(call)}: answered run ${call.value.run}, which no loader produced`,
      )
      return
    }
    if (run.digest !== call.value.digest)
      this.violation(
        'answers are intact',
        `${describe(call)}: the value of run ${run.id} is not what its loader returned`,
      )
    const lag = (writer: number, published: boolean, end: number) =>
      this.lag(call.worker, writer, published, end)
    const { ttl, staleTtl } = this.settings.cache
    for (const part of this.closure(run)) {
      // Tags: no value whose computation began before a resolved invalidateTags of one of its tags.
      for (const tags of this.history.calls) {
        if (tags.kind !== 'invalidateTags' || !tags.ok || part.began >= tags.start) continue
        const hit = part.tags.filter((tag) => tags.tags.includes(tag))
        if (hit.length === 0) continue
        let effective = tags.end + lag(tags.worker, tags.published, tags.end)
        // Where any key may be evicted, a tag's set may go: the value then lives out its own ttl.
        if (this.config.eviction === 'allkeys' || this.mayBeLost(tags.end))
          effective = Math.max(effective, part.began + ttl + staleTtl + SLACK_MS)
        if (call.start > effective)
          this.violation(
            'tags',
            `${describe(call)}: run ${part.id} (began @${part.began.toFixed(1)}) carries ${hit.join(',')}, invalidated by worker ${tags.worker} [@${tags.start.toFixed(1)}, @${tags.end.toFixed(1)}]`,
          )
      }
      // Dependencies: no value built from an object version older than what the reader must see.
      for (const read of part.reads) {
        const reader = { worker: call.worker, start: call.start, mayBeStale: true, dependency: true }
        let problem = this.checkVersion(read.key, reader, read.version, Number.POSITIVE_INFINITY)
        if (
          problem &&
          this.config.eviction === 'allkeys' &&
          call.start <= part.began + ttl + staleTtl + SLACK_MS
        )
          problem = undefined
        if (problem)
          this.violation(
            'dependencies',
            `${describe(call)}: run ${part.id} built from ${read.key} v${read.version}: ${problem}`,
          )
      }
    }
  }
}

function describe(call: CallRecord): string {
  const span = `[@${call.start.toFixed(1)}, @${call.end.toFixed(1)}]`
  if (call.kind === 'read')
    return `read ${call.key} as ${call.as} by worker ${call.worker} ${span} (${call.status ?? 'threw'})`
  if (call.kind === 'wrap')
    return `wrap ${call.name} by worker ${call.worker} ${span} (${call.status ?? 'threw'})`
  return `${call.kind} ${span}`
}
