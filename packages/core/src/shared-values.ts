import type { Entry } from './entry'
import type { StandardSchemaV1 } from './schema'

/** The key of a value parsed without a schema. */
const NO_SCHEMA = Symbol('no-schema')

/** Kept in place of a value that cannot be shared: every reader of the entry parses its own. */
const UNSHAREABLE = Symbol('unshareable')

/** Whether `value` holds only what freezing makes unchangeable: primitives, plain objects and arrays. */
function plain(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function'
  const proto = Object.getPrototypeOf(value)
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return false
  for (const child of Object.values(value)) if (!plain(child)) return false
  return true
}

/** Freezes `value` and everything it holds (all plain, see {@link plain}). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  Object.freeze(value)
  for (const child of Object.values(value)) deepFreeze(child)
  return value
}

/**
 * `shareParsed`: the values parsed (and validated) from an entry, one per schema, deep-frozen and
 * returned to every reader of the same entry object: the callers of one coalesced read, and the later
 * L1 hits of it. Held weakly by the entry: when L1 drops or replaces it, its values go with it, so a
 * value never outlives the bytes it was parsed from.
 *
 * Only plain values are shared: a Date, Map, Set, typed array or class instance keeps its contents
 * in internal slots that `Object.freeze` does not reach (`date.setTime()` works on a frozen Date), so
 * a value holding one (a schema's `z.coerce.date()`, say) is parsed for each reader instead.
 */
export class SharedValues {
  private readonly byEntry = new WeakMap<Entry, Map<StandardSchemaV1 | typeof NO_SCHEMA, unknown>>()

  /** The shared value of `entry` for `schema`, parsing it (with `parse`) on first use. */
  get<T>(entry: Entry, schema: StandardSchemaV1 | undefined, parse: () => T | Promise<T>): T | Promise<T> {
    let values = this.byEntry.get(entry)
    const slot = schema ?? NO_SCHEMA
    const known = values?.get(slot)
    if (known === UNSHAREABLE) return parse()
    if (known !== undefined || values?.has(slot)) return known as T
    const parsed = parse()
    const keep = (value: T): T => {
      values ??= new Map()
      this.byEntry.set(entry, values)
      values.set(slot, plain(value) ? deepFreeze(value) : UNSHAREABLE)
      return value
    }
    return parsed instanceof Promise ? parsed.then(keep) : keep(parsed)
  }
}
