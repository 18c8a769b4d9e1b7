import type { Entry } from './entry'
import type { StandardSchemaV1 } from './schema'

/** The key of a value parsed without a schema. */
const NO_SCHEMA = Symbol('no-schema')

/** Freezes `value` and everything it holds, so that readers sharing it cannot change it for one another. */
function deepFreeze<T>(value: T): T {
  // Typed arrays cannot be frozen (JSON never holds them, a schema's output might).
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value))
    return value
  Object.freeze(value)
  for (const child of Object.values(value)) deepFreeze(child)
  return value
}

/**
 * `shareParsed`: the values parsed (and validated) from an entry, one per schema, deep-frozen and
 * returned to every reader of the same entry object: the callers of one coalesced read, and the later
 * L1 hits of it. Held weakly by the entry: when L1 drops or replaces it, its values go with it, so a
 * value never outlives the bytes it was parsed from.
 */
export class SharedValues {
  private readonly byEntry = new WeakMap<Entry, Map<StandardSchemaV1 | typeof NO_SCHEMA, unknown>>()

  /** The shared value of `entry` for `schema`, parsing it (with `parse`) on first use. */
  get<T>(entry: Entry, schema: StandardSchemaV1 | undefined, parse: () => T | Promise<T>): T | Promise<T> {
    let values = this.byEntry.get(entry)
    const slot = schema ?? NO_SCHEMA
    if (values?.has(slot)) return values.get(slot) as T
    const parsed = parse()
    const keep = (value: T): T => {
      values ??= new Map()
      this.byEntry.set(entry, values)
      values.set(slot, deepFreeze(value))
      return value
    }
    return parsed instanceof Promise ? parsed.then(keep) : keep(parsed)
  }
}
