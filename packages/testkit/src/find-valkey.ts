import { execFileSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'

/** The server software the testkit runs: Valkey, or Redis OSS (both are ElastiCache engines). */
export type Engine = 'valkey' | 'redis'

/** Thrown when no server of an engine can be found or installed; its message says how to get one. */
export class EngineNotFoundError extends Error {
  override name = 'EngineNotFoundError'
}

/** The same class under its first name (Valkey was the only engine then). */
export { EngineNotFoundError as ValkeyNotFoundError }

interface EngineSpec {
  server: string
  cli: string
  /** The variable that points at the server binary; the CLI is looked for beside it. */
  env: 'VALKEY_SERVER' | 'REDIS_SERVER'
  /** The first word of `<server> --version`. */
  banner: 'Valkey' | 'Redis'
  /** apt arguments after `install -y`, for a Debian codename. */
  apt(codename: string | undefined): string[]
  hint: string
}

const ENGINES: Record<Engine, EngineSpec> = {
  valkey: {
    server: 'valkey-server',
    cli: 'valkey-cli',
    env: 'VALKEY_SERVER',
    banner: 'Valkey',
    apt: (codename) =>
      codename === 'bookworm'
        ? ['-t', 'bookworm-backports', 'valkey-server', 'valkey-tools']
        : ['valkey-server', 'valkey-tools'],
    hint: [
      'valkey-server was not found (looked at $VALKEY_SERVER, then PATH).',
      'The tests start real Valkey servers. Install Valkey 8 and run the tests again:',
      '  Debian 12 (bookworm): echo "deb http://deb.debian.org/debian bookworm-backports main" | sudo tee /etc/apt/sources.list.d/backports.list',
      '                        sudo apt-get update && sudo apt-get install -y -t bookworm-backports valkey-server valkey-tools',
      '  Debian 13 / Ubuntu 24.04+: sudo apt-get install -y valkey-server valkey-tools',
      '  macOS: brew install valkey',
      'or point VALKEY_SERVER at a valkey-server binary (valkey-cli is looked for beside it).',
    ].join('\n'),
  },
  redis: {
    server: 'redis-server',
    cli: 'redis-cli',
    env: 'REDIS_SERVER',
    banner: 'Redis',
    apt: () => ['redis-server', 'redis-tools'],
    hint: [
      'redis-server was not found (looked at $REDIS_SERVER, then PATH).',
      'The tests also run on Redis OSS. Install Redis 7 and run the tests again:',
      '  Debian / Ubuntu: sudo apt-get install -y redis-server redis-tools',
      '                   sudo systemctl disable --now redis-server   (the tests start their own servers)',
      '  macOS: brew install redis',
      'or point REDIS_SERVER at a redis-server binary (redis-cli is looked for beside it).',
    ].join('\n'),
  },
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name)
    if (dir && isExecutable(candidate)) return candidate
  }
  return undefined
}

/** The engine's server binary: `$VALKEY_SERVER` / `$REDIS_SERVER`, then PATH; `undefined` when neither exists. */
export function findServer(engine: Engine = 'valkey'): string | undefined {
  const spec = ENGINES[engine]
  const fromEnv = process.env[spec.env]
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : undefined
  return onPath(spec.server)
}

/** The engine's CLI beside its server binary, else on PATH. */
export function findCli(engine: Engine = 'valkey'): string | undefined {
  const spec = ENGINES[engine]
  const server = findServer(engine)
  const beside = server ? join(dirname(server), spec.cli) : undefined
  if (beside && isExecutable(beside)) return beside
  return onPath(spec.cli)
}

/** `$VALKEY_SERVER`, then `valkey-server` on PATH; `undefined` when neither exists. */
export const findValkeyServer = (): string | undefined => findServer('valkey')
/** `valkey-cli` beside the server binary, else on PATH. */
export const findValkeyCli = (): string | undefined => findCli('valkey')

/** A server binary and its CLI, and the version `<server> --version` reports. */
export interface EngineBinaries {
  server: string
  cli: string
  /** For example `'8.0.1'` or `'7.0.15'`. */
  version: string
}

const banners = new Map<string, { name: string; version: string }>()

/** What `<binary> --version` says it is ("Valkey server v=8.0.1 ..."), asked once per binary. */
function bannerOf(binary: string): { name: string; version: string } {
  let banner = banners.get(binary)
  if (!banner) {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8' })
    const match = /^(\S+) server v=(\S+)/.exec(out)
    banner = { name: match?.[1] ?? out.trim(), version: match?.[2] ?? 'unknown' }
    banners.set(binary, banner)
  }
  return banner
}

/**
 * The engine's server and CLI, or {@link EngineNotFoundError}. A binary that is another engine
 * (Valkey's `redis-server` compatibility link, for one) is refused: a test on Redis must run Redis.
 */
export function requireBinaries(engine: Engine = 'valkey'): EngineBinaries {
  const spec = ENGINES[engine]
  const server = findServer(engine)
  const cli = findCli(engine)
  if (!server || !cli) throw new EngineNotFoundError(spec.hint)
  const { name, version } = bannerOf(server)
  if (name !== spec.banner) {
    throw new EngineNotFoundError(`${server} is ${name}, not ${spec.banner}.\n${spec.hint}`)
  }
  return { server, cli, version }
}

export const requireValkeyBinaries = (): EngineBinaries => requireBinaries('valkey')

function debianCodename(): string | undefined {
  if (!existsSync('/etc/os-release')) return undefined
  const text = readFileSync('/etc/os-release', 'utf8')
  return /^VERSION_CODENAME=(.+)$/m.exec(text)?.[1]?.replace(/"/g, '')
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
}

function bestEffort(command: string, args: string[]): void {
  if (!onPath(command)) return
  try {
    execFileSync(command, args, { stdio: 'ignore' })
  } catch {
    // The service manager may be absent or not running (a container): nothing was started then.
  }
}

/** Debian's hook asked before any package starts a service; exit 101 means "do not start". */
const POLICY_RC = '/usr/sbin/policy-rc.d'

/**
 * `apt-get install` with no service started: the Debian packages start a server on port 6379, a
 * stray process the tests never use (they start their own on free ports), and a second engine's
 * service would fail to bind 6379 and fail its install. The packaged service is also kept off at boot.
 */
function aptInstall(args: string[], service: string): void {
  const ownPolicy = !existsSync(POLICY_RC)
  if (ownPolicy) writeFileSync(POLICY_RC, '#!/bin/sh\nexit 101\n', { mode: 0o755 })
  try {
    run('apt-get', ['update', '-qq'])
    run('apt-get', ['install', '-y', '-qq', ...args])
  } finally {
    if (ownPolicy) rmSync(POLICY_RC, { force: true })
  }
  bestEffort('service', [service, 'stop'])
  if (onPath('systemctl')) bestEffort('systemctl', ['disable', service])
  else bestEffort('update-rc.d', [service, 'disable'])
}

/**
 * Finds the engine's server and CLI; when they are missing and this is root on Debian or Ubuntu,
 * installs them with apt (Valkey on bookworm from bookworm-backports) without starting the packaged
 * service. Otherwise throws {@link EngineNotFoundError} with install instructions, so the test run fails.
 */
export function ensureEngine(engine: Engine, log: (line: string) => void = console.log): EngineBinaries {
  const spec = ENGINES[engine]
  if (findServer(engine) && findCli(engine)) return requireBinaries(engine)
  if (process.env[spec.env]) throw new EngineNotFoundError(spec.hint)
  const canApt = process.getuid?.() === 0 && onPath('apt-get') !== undefined
  if (!canApt) throw new EngineNotFoundError(spec.hint)
  const codename = debianCodename()
  log(`${spec.server} not found: installing it with apt-get (${codename ?? 'unknown release'})...`)
  try {
    if (engine === 'valkey' && codename === 'bookworm') {
      writeFileSync(
        '/etc/apt/sources.list.d/valkey-s3-cache-backports.list',
        'deb http://deb.debian.org/debian bookworm-backports main\n',
      )
    }
    aptInstall(spec.apt(codename), spec.server)
  } catch (error) {
    throw new EngineNotFoundError(`${spec.hint}\n(apt-get failed: ${(error as Error).message})`)
  }
  return requireBinaries(engine)
}

/** {@link ensureEngine} for Valkey. */
export const ensureValkey = (log?: (line: string) => void): EngineBinaries => ensureEngine('valkey', log)
