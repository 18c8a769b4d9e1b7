import type { Endpoints } from '../env'

/** One library (or floor) under test, reading the JSON document stored under an S3 key. */
export interface Contender {
  /** Short label for tables and charts. */
  readonly name: string
  /** Returns the parsed document: a hit from the cache, or a load from S3 that the library then stores. */
  read(key: string): Promise<unknown>
  /** S3 GetObject calls this contender has made so far (a hit must make none). */
  originCalls(): number
  close(): Promise<void>
}

/** Sync, or async where the client connects when created (GLIDE's `createClient`): callers await it. */
export type ContenderFactory = (endpoints: Endpoints) => Contender | Promise<Contender>

export interface ContenderSpec {
  /** Stable id, used in results and by stampede children. */
  id: string
  /** Short label. */
  name: string
  /** What exactly runs, for the docs. */
  description: string
  create: ContenderFactory
}
