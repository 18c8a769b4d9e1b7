import { parseArgs } from 'node:util'

/** Bad input on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
  /** The command whose `--help` explains the fix. */
  readonly command: string | undefined

  constructor(message: string, command?: string) {
    super(message)
    this.command = command
  }
}

export type CommandName = 'warm' | 'inspect' | 'invalidate' | 'stats'

export interface OptionSpec {
  type: 'string' | 'boolean'
  /** Shown in help: `--prefix <prefix>`. */
  value?: string
  /** May be given several times (`--tag a --tag b`); its value is then an array. */
  multiple?: boolean
  /** The command's other form: with this flag it takes no positionals (`invalidate --tag`). */
  insteadOfPositionals?: boolean
  description: string
}

export interface CommandSpec {
  name: CommandName
  summary: string
  /** Positional names; a trailing `…` takes one or more. */
  positionals: string[]
  options: Record<string, OptionSpec>
  /**
   * Its `<bucket> <key>` positionals may be given as `s3://<bucket>/<key>` URIs instead (one, or several
   * of one bucket when the key is variadic). Unambiguous: no bucket name holds `:` or `/`.
   */
  s3Uris?: boolean
  /** Paragraphs after the option list. */
  details: string
}

/** Every command's flags, besides its own. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print the result as JSON on stdout' },
  help: { type: 'boolean', description: 'show this help' },
}

export interface ParsedCommand {
  positionals: string[]
  values: Record<string, string | string[] | boolean | undefined>
}

/** Parses one command's arguments strictly: unknown flags, missing values and wrong positional counts are {@link UsageError}s. */
export function parseCommand(spec: CommandSpec, argv: string[]): ParsedCommand {
  const options = { ...spec.options, ...COMMON_OPTIONS }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(options).map(([name, option]) => [
          name,
          {
            type: option.type,
            ...(option.multiple ? { multiple: true } : {}),
            ...(name === 'help' ? { short: 'h' } : {}),
          },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw new UsageError(describeParseError(error as Error & { code?: string }, spec.name), spec.name)
  }
  const values = parsed.values as ParsedCommand['values']
  if (values.help) return { positionals: parsed.positionals, values }
  const variadic = spec.positionals.at(-1)?.endsWith('…') ?? false
  const required = spec.positionals.length
  const positionals = spec.positionals.map((name) => `<${name}>`)
  const instead = Object.entries(spec.options).filter(([, option]) => option.insteadOfPositionals)
  const insteadGiven = instead.find(([name]) => values[name] !== undefined)
  if (insteadGiven) {
    if (parsed.positionals.length > 0)
      throw new UsageError(
        `${spec.name}: --${insteadGiven[0]} cannot be combined with ${positionals.join(' or ')} arguments, got ${JSON.stringify(parsed.positionals.join(' '))}`,
        spec.name,
      )
    return { positionals: [], values }
  }
  const uris = spec.s3Uris === true && parsed.positionals[0]?.startsWith(S3_URI_SCHEME) === true
  if (uris && !variadic && parsed.positionals.length > 1) {
    const extra = parsed.positionals.slice(1).join(' ')
    throw new UsageError(`${spec.name}: unexpected argument ${JSON.stringify(extra)}`, spec.name)
  }
  const given = uris ? fromS3Uris(parsed.positionals, spec.name) : parsed.positionals
  if (given.length < required) {
    const missing = positionals.slice(given.length).join(' ')
    const uri = spec.s3Uris ? `s3://<bucket>/<key>${variadic ? '…' : ''}` : undefined
    // Nothing at all given: the other forms are as likely to be what was meant.
    if (given.length === 0) {
      const others = instead.map(([name, option]) => `--${name} <${option.value}>`)
      throw new UsageError(
        `${spec.name}: missing ${orList([missing, ...(uri ? [uri] : []), ...others])}`,
        spec.name,
      )
    }
    const keys = variadic ? 'S3 keys' : 'an S3 key'
    const expected = uri ? `: expected ${usagePositionals(spec)} (${keys} after the bucket), or ${uri}` : ''
    throw new UsageError(`${spec.name}: missing ${missing}${expected}`, spec.name)
  }
  if (!variadic && given.length > required) {
    const extra = given.slice(required).join(' ')
    throw new UsageError(`${spec.name}: unexpected argument ${JSON.stringify(extra)}`, spec.name)
  }
  return { positionals: given, values }
}

const S3_URI_SCHEME = 's3://'

/** `a`, `a or b`, `a, b or c`. */
const orList = (items: string[]) =>
  items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`

/** A command's positionals as its usage line shows them: `<bucket> <key>…`. */
export function usagePositionals(spec: CommandSpec): string {
  return spec.positionals
    .map((name) => (name.endsWith('…') ? `<${name.slice(0, -1)}>…` : `<${name}>`))
    .join(' ')
}

/**
 * `s3://<bucket>/<key>` URIs as a bucket and its keys: every argument a URI (a plain one after a URI
 * could be a key or a bucket), all of one bucket. The key is everything after the bucket's `/`, as it
 * is (S3 URIs are not percent-encoded).
 */
function fromS3Uris(uris: string[], command: string): string[] {
  const buckets = new Set<string>()
  const keys: string[] = []
  for (const uri of uris) {
    if (!uri.startsWith(S3_URI_SCHEME))
      throw new UsageError(
        `${command}: ${JSON.stringify(uri)} is not an S3 URI: give either s3://<bucket>/<key> URIs or a bucket and its keys, not both`,
        command,
      )
    const path = uri.slice(S3_URI_SCHEME.length)
    const slash = path.indexOf('/')
    if (slash <= 0 || slash === path.length - 1)
      throw new UsageError(
        `${command}: ${JSON.stringify(uri)} names ${slash === 0 || path === '' ? 'no bucket' : 'no key'}: an S3 URI is s3://<bucket>/<key>`,
        command,
      )
    buckets.add(path.slice(0, slash))
    keys.push(path.slice(slash + 1))
  }
  if (buckets.size > 1)
    throw new UsageError(
      `${command}: the S3 URIs name ${buckets.size} buckets (${[...buckets].join(', ')}): run it once per bucket`,
      command,
    )
  return [...buckets, ...keys]
}

function describeParseError(error: Error & { code?: string }, command: string): string {
  const flag = /'(-[^' ]+)/.exec(error.message)?.[1]
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${command}: unknown flag ${flag ?? ''}`.trim()
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // `--tag -x`: a value that starts with "-" reads as a flag; `--tag=-x` is unambiguous.
      if (/ambiguous/.test(error.message))
        return `${command}: ${flag ?? 'a flag'} needs a value; one that starts with "-" goes as ${flag ?? '--flag'}=-…`
      return `${command}: ${flag ?? 'a flag'} ${/argument missing/.test(error.message) ? 'needs a value' : 'takes no value'}`
    default:
      return `${command}: ${error.message}`
  }
}

/** A positive integer flag, within `max`. */
export function integerFlag(
  value: ParsedCommand['values'][string],
  flag: string,
  command: string,
  max: number,
) {
  if (value === undefined) return undefined
  const number = Number(value)
  if (typeof value !== 'string' || !/^\d+$/.test(value) || number < 1 || number > max)
    throw new UsageError(
      `${command}: --${flag} must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`,
      command,
    )
  return number
}

// Current names (3–63 lowercase) and the legacy us-east-1 names (up to 255, uppercase and `_`).
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/

/**
 * Rejects a bucket argument that S3 could never accept, before any connection is made. An
 * `s3://<bucket>/<path>` URI is told apart, with the flag that takes its path (`--prefix`) if any.
 */
export function bucketArgument(value: string | undefined, command: string, pathFlag?: string): string {
  if (value?.startsWith(S3_URI_SCHEME)) {
    const [bucket = '', ...path] = value.slice(S3_URI_SCHEME.length).split('/')
    const rest = path.join('/')
    const pathHint = pathFlag && rest ? ` and ${pathFlag} ${JSON.stringify(rest)}` : ''
    throw new UsageError(
      `${command}: ${JSON.stringify(value)} is an S3 URI, not a bucket name: give the bucket name ${JSON.stringify(bucket)}${pathHint}`,
      command,
    )
  }
  if (value === undefined || !BUCKET.test(value))
    throw new UsageError(`${command}: bad bucket name ${JSON.stringify(value ?? '')}`, command)
  return value
}
