import { CacheConfigError } from './errors'

/** Options after {@link readOptions}: every known name present, defaults filled in. */
export type WithDefaults<O, D> = {
  [K in keyof O | keyof D]-?: K extends keyof D
    ? K extends keyof O
      ? Exclude<O[K], undefined> | D[K]
      : D[K]
    : K extends keyof O
      ? O[K]
      : never
}

/**
 * Reads an options object the one way every options object of the cache (and of the middy package)
 * is read: it must be an object; every name must be one of `defaults`' or `required`'s (a misspelt
 * `ttll` is refused, naming it, instead of being silently ignored); an option given as `undefined`
 * keeps its default. `path` names a nested object in errors (`l1` → `l1.maxbytes`).
 * Throws {@link CacheConfigError}; the caller then checks each value's type and range.
 */
export function readOptions<O extends object, D extends object>(
  given: O | undefined,
  defaults: D,
  { path = '', required = [] }: { path?: string; required?: readonly string[] } = {},
): WithDefaults<O, D> {
  const name = (key: string) => (path ? `${path}.${key}` : key)
  if (given === undefined) return { ...defaults } as WithDefaults<O, D>
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw new CacheConfigError(path || 'options', 'expected an object')
  const known = [...required, ...Object.keys(defaults)]
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) }
  for (const [key, value] of Object.entries(given)) {
    if (!known.includes(key))
      throw new CacheConfigError(name(key), `unknown option (known: ${known.map(name).join(', ')})`)
    if (value !== undefined) merged[key] = value
  }
  return merged as WithDefaults<O, D>
}

/** Options objects already found to hold only known names (callers often pass one object again and again). */
const checked = new WeakMap<object, readonly string[]>()

/**
 * Refuses a call's options with a name not in `known` (`ttll`), naming it and where it was given:
 * plain JavaScript callers get no compile error. An object seen before costs one lookup.
 */
export function checkCallOptions(given: object | undefined, known: readonly string[], where: string): void {
  if (given === undefined || checked.get(given) === known) return
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw new CacheConfigError(`${where} options`, 'expected an object')
  const names = Object.keys(given)
  for (const key of names) {
    if (!known.includes(key))
      throw new CacheConfigError(key, `unknown option of ${where} (known: ${known.join(', ')})`)
  }
  // An empty object needs no memo (and a default `{}` per call would only fill it).
  if (names.length > 0) checked.set(given, known)
}
