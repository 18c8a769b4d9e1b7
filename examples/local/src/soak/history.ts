interface Version {
  v: number
  start: number
  end: number
}

/**
 * What S3 held for each key and when: a version is current from the start of its write until a
 * write that began after it finished has itself finished (S3 PutObject and then the invalidation).
 */
export class SoakHistory {
  private readonly versions = new Map<string, Version[]>()

  begin(key: string, v: number): Version {
    const record: Version = { v, start: Date.now(), end: Number.POSITIVE_INFINITY }
    const list = this.versions.get(key) ?? []
    list.push(record)
    this.versions.set(key, list)
    return record
  }

  latest(key: string): number {
    const list = this.versions.get(key) ?? []
    return list[list.length - 1]?.v ?? -1
  }

  /** Whether version `v` was current at some moment of [from, end]. */
  judge(key: string, v: number, from: number, end: number): 'ok' | 'wrong' {
    const list = this.versions.get(key) ?? []
    const mine = list.find((x) => x.v === v)
    if (!mine || mine.start > end) return 'wrong'
    let until = Number.POSITIVE_INFINITY
    for (const w of list) if (w.start > mine.end) until = Math.min(until, w.end)
    return until >= from ? 'ok' : 'wrong'
  }

  /** Whether a write of `key` (after the seed) overlapped [start, end]. */
  writing(key: string, start: number, end: number): boolean {
    return (this.versions.get(key) ?? []).some((w) => w.v > 0 && w.start <= end && w.end >= start)
  }
}
