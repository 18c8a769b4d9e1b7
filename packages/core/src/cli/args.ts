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
  const given = parsed.positionals.length
  const positionals = spec.positionals.map((name) => `<${name}>`)
  const instead = Object.entries(spec.options).filter(([, option]) => option.insteadOfPositionals)
  const insteadGiven = instead.find(([name]) => values[name] !== undefined)
  if (insteadGiven) {
    if (given > 0)
      throw new UsageError(
        `${spec.name}: --${insteadGiven[0]} cannot be combined with ${positionals.join(' or ')} arguments, got ${JSON.stringify(parsed.positionals.join(' '))}`,
        spec.name,
      )
    return { positionals: [], values }
  }
  if (given < required) {
    const missing = positionals.slice(given).join(' ')
    // Nothing at all given: the other form is as likely to be what was meant.
    const or = given === 0 ? instead.map(([name, option]) => ` or --${name} <${option.value}>`).join('') : ''
    throw new UsageError(`${spec.name}: missing ${missing}${or}`, spec.name)
  }
  if (!variadic && given > required) {
    const extra = parsed.positionals.slice(required).join(' ')
    throw new UsageError(`${spec.name}: unexpected argument ${JSON.stringify(extra)}`, spec.name)
  }
  return { positionals: parsed.positionals, values }
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

/** Rejects a bucket argument that S3 could never accept, before any connection is made. */
export function bucketArgument(value: string | undefined, command: string): string {
  if (value === undefined || !BUCKET.test(value))
    throw new UsageError(`${command}: bad bucket name ${JSON.stringify(value ?? '')}`, command)
  return value
}
