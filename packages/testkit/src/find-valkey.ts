import { execFileSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'

/** Thrown when no valkey-server can be found or installed; its message says how to get one. */
export class ValkeyNotFoundError extends Error {
  override name = 'ValkeyNotFoundError'
}

const INSTALL_HINT = [
  'valkey-server was not found (looked at $VALKEY_SERVER, then PATH).',
  'The tests start real Valkey servers. Install Valkey 8 and run the tests again:',
  '  Debian 12 (bookworm): echo "deb http://deb.debian.org/debian bookworm-backports main" | sudo tee /etc/apt/sources.list.d/backports.list',
  '                        sudo apt-get update && sudo apt-get install -y -t bookworm-backports valkey-server valkey-tools',
  '  Debian 13 / Ubuntu 24.04+: sudo apt-get install -y valkey-server valkey-tools',
  '  macOS: brew install valkey',
  'or point VALKEY_SERVER at a valkey-server binary (valkey-cli is looked for beside it).',
].join('\n')

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

/** `$VALKEY_SERVER`, then `valkey-server` on PATH; `undefined` when neither exists. */
export function findValkeyServer(): string | undefined {
  const fromEnv = process.env.VALKEY_SERVER
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : undefined
  return onPath('valkey-server')
}

/** `valkey-cli` beside the server binary, else on PATH. */
export function findValkeyCli(): string | undefined {
  const server = findValkeyServer()
  const beside = server ? join(dirname(server), 'valkey-cli') : undefined
  if (beside && isExecutable(beside)) return beside
  return onPath('valkey-cli')
}

export function requireValkeyBinaries(): { server: string; cli: string } {
  const server = findValkeyServer()
  const cli = findValkeyCli()
  if (!server || !cli) throw new ValkeyNotFoundError(INSTALL_HINT)
  return { server, cli }
}

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

/**
 * Finds valkey-server and valkey-cli; when they are missing and this is root on Debian or
 * Ubuntu, installs them with apt (bookworm takes them from bookworm-backports). Otherwise
 * throws {@link ValkeyNotFoundError} with install instructions, so the test run fails.
 */
export function ensureValkey(log: (line: string) => void = console.log): { server: string; cli: string } {
  if (findValkeyServer() && findValkeyCli()) return requireValkeyBinaries()
  if (process.env.VALKEY_SERVER) throw new ValkeyNotFoundError(INSTALL_HINT)
  const canApt = process.getuid?.() === 0 && onPath('apt-get') !== undefined
  if (!canApt) throw new ValkeyNotFoundError(INSTALL_HINT)
  const codename = debianCodename()
  log(`valkey-server not found: installing it with apt-get (${codename ?? 'unknown release'})...`)
  try {
    if (codename === 'bookworm') {
      execFileSync('sh', [
        '-c',
        'echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/valkey-s3-cache-backports.list',
      ])
      run('apt-get', ['update', '-qq'])
      run('apt-get', ['install', '-y', '-qq', '-t', 'bookworm-backports', 'valkey-server', 'valkey-tools'])
    } else {
      run('apt-get', ['update', '-qq'])
      run('apt-get', ['install', '-y', '-qq', 'valkey-server', 'valkey-tools'])
    }
  } catch (error) {
    throw new ValkeyNotFoundError(`${INSTALL_HINT}\n(apt-get failed: ${(error as Error).message})`)
  }
  return requireValkeyBinaries()
}
