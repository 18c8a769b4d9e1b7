import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One installed package, as it lies in node_modules. */
export interface InstalledPackage {
  name: string
  version: string
  /** Sum of its files' sizes (apparent size), its own nested node_modules left out. */
  bytes: number
  files: number
  /** Native addons (`.node` files) in it. */
  nativeFiles: string[]
}

/** A package and everything it pulls in at run time: what a deployment's node_modules carries for it. */
export interface InstalledClosure {
  root: string
  packages: InstalledPackage[]
  bytes: number
}

/** What a GLIDE deployment carries, beside iovalkey's for comparison. */
export interface GlideInstall {
  version: string
  /** `@valkey/valkey-glide` and its platform packages installed here (`node_modules/@valkey/valkey-glide*`). */
  glidePackages: InstalledPackage[]
  /** GLIDE with its whole run-time dependency closure (protobufjs, long, …). */
  glide: InstalledClosure
  iovalkey?: InstalledClosure
  /** Every platform package GLIDE lists (`optionalDependencies`): npm installs the one matching the machine. */
  platformPackages: string[]
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

function walk(dir: string, skipNodeModules: boolean): { bytes: number; files: number; native: string[] } {
  let bytes = 0
  let files = 0
  const native: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (skipNodeModules && entry.name === 'node_modules') continue
      const inner = walk(path, false)
      bytes += inner.bytes
      files += inner.files
      native.push(...inner.native)
    } else if (entry.isFile()) {
      bytes += statSync(path).size
      files++
      if (entry.name.endsWith('.node')) native.push(path)
    }
  }
  return { bytes, files, native }
}

/** Node's lookup of `name` from `fromDir`: the nearest node_modules/<name> up the tree. */
function locate(name: string, fromDir: string): string | undefined {
  let dir = fromDir
  for (;;) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

interface Manifest {
  name: string
  version: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest

function describe(dir: string): InstalledPackage {
  const { name, version } = manifest(dir)
  const { bytes, files, native } = walk(dir, true)
  return { name, version, bytes, files, nativeFiles: native.map((path) => relative(dir, path)) }
}

/** `name` and its dependencies (and the optional ones that are installed), each once. */
export function installedClosure(name: string, from = ROOT): InstalledClosure | undefined {
  const start = locate(name, from)
  if (!start) return undefined
  const seen = new Map<string, InstalledPackage>()
  const queue = [start]
  while (queue.length) {
    const dir = queue.shift() as string
    if (seen.has(dir)) continue
    seen.set(dir, describe(dir))
    const { dependencies = {}, optionalDependencies = {} } = manifest(dir)
    for (const dep of new Set([...Object.keys(dependencies), ...Object.keys(optionalDependencies)])) {
      const found = locate(dep, dir)
      if (found) queue.push(found)
      else if (!(dep in optionalDependencies)) throw new Error(`${name}: ${dep} is not installed`)
    }
  }
  const packages = [...seen.values()]
  return { root: name, packages, bytes: packages.reduce((n, p) => n + p.bytes, 0) }
}

/** Sizes of the installed GLIDE packages (`node_modules/@valkey/valkey-glide*`), its closure and iovalkey's. */
export function measureGlideInstall(): GlideInstall | undefined {
  const glide = installedClosure('@valkey/valkey-glide')
  const dir = locate('@valkey/valkey-glide', ROOT)
  if (!glide || !dir) return undefined
  const { version, optionalDependencies = {} } = manifest(dir)
  return {
    version,
    glidePackages: glide.packages.filter((p) => p.name.startsWith('@valkey/valkey-glide')),
    glide,
    iovalkey: installedClosure('iovalkey'),
    platformPackages: Object.keys(optionalDependencies),
  }
}
