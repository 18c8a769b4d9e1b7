// The model both the reliability suite and the soak check answers against: which version of each
// object S3 held, and when. Shared so the two judge answers by one rule.

export interface Version {
  v: number
  start: number
  end: number
  /** The put reached S3 but the cache entry could not be replaced (CacheWriteError). */
  writeFailed: boolean
}

/**
 * What S3 held for each key, and when. A version is "current" from the moment its write started
 * until the next version's write finished (plus `lagMs` when that write reported CacheWriteError:
 * the documented bound is then the entry's ttl + staleTtl).
 */
export class VersionHistory {
  private readonly versions = new Map<string, Version[]>()
  private readonly lagMs: number
  constructor(lagMs = 0) {
    this.lagMs = lagMs
  }

  begin(key: string, v: number): Version {
    const record: Version = { v, start: Date.now(), end: Number.POSITIVE_INFINITY, writeFailed: false }
    const list = this.versions.get(key) ?? []
    list.push(record)
    this.versions.set(key, list)
    return record
  }

  latest(key: string): number {
    const list = this.versions.get(key) ?? []
    return list[list.length - 1]?.v ?? -1
  }

  /**
   * 'ok' | 'stale-ok' | 'wrong' for an answer of version `v` to a request over [start, end]. A version
   * is superseded for certain once a write that began after it finished has finished itself
   * (overlapping writes may reach S3 in either order).
   */
  judge(key: string, v: number, start: number, end: number, status = 'hit', staleMs = 0) {
    const list = this.versions.get(key) ?? []
    const mine = list.find((x) => x.v === v)
    if (!mine || mine.start > end) return 'wrong'
    let until = Number.POSITIVE_INFINITY
    for (const w of list) {
      if (w.start > mine.end) until = Math.min(until, w.end + (w.writeFailed ? this.lagMs : 0))
    }
    if (until >= start) return 'ok'
    if (status === 'stale' && until + staleMs >= start) return 'stale-ok'
    return 'wrong'
  }

  /** Whether a write of `key` was in flight during [start, end]. */
  writing(key: string, start: number, end: number): boolean {
    return (this.versions.get(key) ?? []).some((w) => w.v > 0 && w.start <= end && w.end >= start)
  }
}
