/** How much work each scenario does. `full` is the documented run; `quick` a smoke run; `dry` keeps the harness from rotting in tests. */
export type Mode = 'full' | 'quick' | 'dry'

export interface Settings {
  mode: Mode
  /** Rounds per cell; contenders alternate order between rounds. */
  rounds: number
  /** A timed sample runs at least this long… */
  minMs: number
  /** …and at least this many operations. */
  minOps: number
  /** Untimed operations per contender and cell before the rounds. */
  warmupOps: number
  /**
   * Rounds per cell where each contender runs in a process of its own (`l2HitPerProcess`,
   * `shapedLink`): more and shorter samples than `rounds` × `minMs`, for about the same time, so the
   * rotation follows a busy machine's load more closely.
   */
  processRounds: number
  /** The minimum length of those samples, ms (`minOps` applies too). */
  processMinMs: number
  /** JSON document sizes of the L2/L1/origin scenarios, KiB. */
  sizesKiB: number[]
  /** Concurrency levels of the L2 hit scenario. */
  concurrencies: number[]
  /** Distinct keys (copies of each document) the L2 hit scenario reads round-robin. */
  keyPool: number
  /** Cold keys read per library in the stampede scenario. */
  stampedeTrials: number
  stampedeChildren: number
  stampedeReadsPerChild: number
  /** Hits averaged in the bytes and round-trip scenarios. */
  countedHits: number
  /** Fresh Node processes per import-time and first-request measurement. */
  coldStartSamples: number
  /** JSON document sizes of the codecs scenario, KiB. */
  codecSizesKiB: number[]
  /** Each codecs round times a loop of at least this long… */
  codecMinMs: number
  /** …and at least this many calls. */
  codecMinIterations: number
  /** Document sizes of the hot-key scenario, KiB (a subset of `sizesKiB`). */
  hotKeySizesKiB: number[]
  /** Concurrent reads of the one hot key per operation. */
  hotKeyBatch: number
  /**
   * Members of the tags scenario's sets: one tag's (and one object's dependents) whose memory and
   * `invalidateTags` time are measured; the first is also the size of the removals whose commands are counted.
   */
  tagMembers: number[]
  /** Timed `invalidateTags` runs per member count (median), after one untimed. */
  tagRuns: number
  /** Link rates of the shaped-link scenario, Mbit/s; `null` is the same path without a qdisc. */
  linkRatesMbit: (number | null)[]
  /** Document sizes of the shaped-link scenario, KiB (a subset of `sizesKiB`). */
  linkSizesKiB: number[]
  /** Concurrent reads per contender in the shaped-link scenario. */
  linkConcurrency: number
}

const base = {
  sizesKiB: [1, 10, 100],
  concurrencies: [1, 64],
  keyPool: 128,
  stampedeChildren: 4,
  stampedeReadsPerChild: 100,
  codecSizesKiB: [1, 2, 4, 10, 32, 64, 100, 1000],
  hotKeySizesKiB: [1, 10],
  hotKeyBatch: 64,
  tagMembers: [100, 1000],
  linkRatesMbit: [500, 1000, 2000, null],
  linkSizesKiB: [10, 100],
  linkConcurrency: 64,
}

export function settingsFor(mode: Mode): Settings {
  switch (mode) {
    case 'full':
      return {
        ...base,
        mode,
        rounds: 7,
        minMs: 500,
        processRounds: 15,
        processMinMs: 250,
        minOps: 200,
        warmupOps: 500,
        stampedeTrials: 5,
        countedHits: 100,
        coldStartSamples: 20,
        codecMinMs: 50,
        codecMinIterations: 5,
        tagRuns: 7,
      }
    case 'quick':
      return {
        ...base,
        mode,
        rounds: 3,
        minMs: 100,
        processRounds: 5,
        processMinMs: 60,
        minOps: 50,
        warmupOps: 100,
        // As many keys as concurrent readers: fewer S3 loads to fill the cache, reads still spread.
        keyPool: 64,
        stampedeTrials: 2,
        countedHits: 50,
        coldStartSamples: 5,
        codecMinMs: 20,
        codecMinIterations: 3,
        tagRuns: 5,
      }
    case 'dry':
      return {
        ...base,
        mode,
        rounds: 2,
        minMs: 0,
        processRounds: 2,
        processMinMs: 0,
        minOps: 10,
        warmupOps: 5,
        stampedeTrials: 1,
        // Two peers still show cross-process coordination, at half the process start-ups.
        stampedeChildren: 2,
        stampedeReadsPerChild: 20,
        keyPool: 4,
        countedHits: 5,
        coldStartSamples: 1,
        codecMinMs: 0,
        codecMinIterations: 1,
        tagMembers: [10, 100],
        tagRuns: 1,
        // One shaped rate and the unshaped path: the namespace, both qdiscs and their removal still run.
        linkRatesMbit: [500, null],
      }
  }
}
