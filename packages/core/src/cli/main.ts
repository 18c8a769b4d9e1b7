import { readFileSync } from 'node:fs'
import { scrub } from '../connect/errors'
import { CacheConfigError, OriginError, S3CacheError } from '../errors'
import { type CommandName, type CommandSpec, type ParsedCommand, parseCommand, UsageError } from './args'
import type { CliIo } from './context'
import { commandHelp, mainHelp } from './help'
import { inspectSpec, runInspect } from './inspect'
import { invalidateSpec, runInvalidate } from './invalidate'
import { runStats, statsSpec } from './stats'
import { runWarm, warmSpec } from './warm'

const COMMANDS: Record<
  CommandName,
  { spec: CommandSpec; run: (parsed: ParsedCommand, io: CliIo) => Promise<number> }
> = {
  warm: { spec: warmSpec, run: runWarm },
  inspect: { spec: inspectSpec, run: runInspect },
  invalidate: { spec: invalidateSpec, run: runInvalidate },
  stats: { spec: statsSpec, run: runStats },
}
const SPECS = Object.values(COMMANDS).map((command) => command.spec)

function version(): string {
  // src/cli/main.ts sits two levels below package.json, the bundled dist/cli.js one.
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === '@valkey-s3-cache/core') return pkg.version ?? 'unknown'
    } catch {
      // Not this one.
    }
  }
  return 'unknown'
}

/** One line, never a stack, never a secret: a message the user can act on. */
function describe(error: unknown): string {
  if (error instanceof UsageError)
    return `${error.message}${error.command ? ` (see valkey-s3-cache ${error.command} --help)` : ''}`
  if (error instanceof CacheConfigError) return error.message
  const cause = (error as { cause?: { message?: unknown } }).cause
  if (error instanceof OriginError && typeof cause?.message === 'string' && cause.message !== '')
    return `${error.message}: ${cause.message}`
  if (error instanceof S3CacheError) return error.message
  return `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`
}

/** Runs the CLI; resolves to the exit code (0 done, 1 failed, 2 bad input). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined
      const command = topic === undefined ? undefined : COMMANDS[topic as CommandName]
      if (topic !== undefined && !command) throw new UsageError(`unknown command ${JSON.stringify(topic)}`)
      io.out(command ? commandHelp(command.spec) : mainHelp(SPECS))
      return name === undefined ? 2 : 0
    }
    if (name === '--version' || name === '-v') {
      io.out(`${version()}\n`)
      return 0
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name as CommandName] : undefined
    if (!command)
      throw new UsageError(
        `unknown command ${JSON.stringify(name)} (commands: ${Object.keys(COMMANDS).join(', ')}; see valkey-s3-cache --help)`,
      )
    const parsed = parseCommand(command.spec, rest)
    if (parsed.values.help) {
      io.out(commandHelp(command.spec))
      return 0
    }
    return await command.run(parsed, io)
  } catch (error) {
    const message = scrub(describe(error)).replace(/\s*\n\s*/g, ' ')
    io.err(`valkey-s3-cache: ${message}\n`)
    return error instanceof UsageError || error instanceof CacheConfigError ? 2 : 1
  }
}
