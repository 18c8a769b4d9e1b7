import { execFileSync } from 'node:child_process'
import { existsSync, globSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'

// Release hygiene of every package npm would publish: each public (non-private) workspace of the root
// package.json, so a new package is checked as soon as it is listed there. The tarball is what
// `npm pack --dry-run` lists; it needs no build (dist/ is checked through `files`, and in the tarball
// only when it exists).
const rootDir = fileURLToPath(new URL('../..', import.meta.url))

interface PackageJson {
  name: string
  private?: boolean
  license?: string
  repository?: { type?: string; url?: string; directory?: string } | string
  homepage?: string
  bugs?: { url?: string } | string
  files?: string[]
  publishConfig?: { access?: string; provenance?: boolean }
  main?: string
  module?: string
  types?: string
  exports?: unknown
  bin?: string | Record<string, string>
  workspaces?: string[]
}

interface PackResult {
  name: string
  files: { path: string }[]
}

const readJson = (path: string): PackageJson => JSON.parse(readFileSync(path, 'utf8'))
const root = readJson(join(rootDir, 'package.json'))

const workspaces = (root.workspaces ?? [])
  .flatMap((pattern) => globSync(pattern, { cwd: rootDir }))
  .map((dir) => dir.split('\\').join('/'))
  .filter((dir) => existsSync(join(rootDir, dir, 'package.json')))
const published = workspaces
  .map((dir) => ({ dir, pkg: readJson(join(rootDir, dir, 'package.json')) }))
  .filter(({ pkg }) => pkg.private !== true)

// The files a package's entry points name: main, module, types, every target of exports, and bin.
const entryPoints = (pkg: PackageJson): string[] => {
  const targets: string[] = []
  const collect = (value: unknown) => {
    if (typeof value === 'string') targets.push(value)
    else if (value && typeof value === 'object') Object.values(value).forEach(collect)
  }
  collect([pkg.main, pkg.module, pkg.types, pkg.exports, pkg.bin])
  return [...new Set(targets.map((target) => target.replace(/^\.\//, '')))].filter(
    (target) => target !== 'package.json' && !target.includes('*'),
  )
}

const pack = (): Map<string, PackResult> => {
  const args = ['pack', '--dry-run', '--json', ...published.flatMap(({ dir }) => ['-w', dir])]
  const stdout = execFileSync('npm', args, {
    cwd: rootDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const results = JSON.parse(stdout) as PackResult[]
  return new Map(results.map((result) => [result.name, result]))
}

describe('published packages', () => {
  it('finds the public workspaces', () => {
    expect(published.map(({ pkg }) => pkg.name)).toEqual(
      expect.arrayContaining(['@valkey-s3-cache/core', '@valkey-s3-cache/middy']),
    )
  })

  it('has the Apache-2.0 license text at the root', () => {
    const license = readFileSync(join(rootDir, 'LICENSE'), 'utf8')
    expect(root.license).toBe('Apache-2.0')
    expect(license).toContain('Apache License\n                           Version 2.0, January 2004')
    expect(license).toContain('END OF TERMS AND CONDITIONS')
    expect(license).toContain('APPENDIX: How to apply the Apache License to your work.')
  })

  let packed = new Map<string, PackResult>()
  beforeAll(() => {
    packed = pack()
  })

  describe.each(published.map(({ dir, pkg }) => [pkg.name, dir, pkg] as const))(
    '%s (%s)',
    (name, dir, pkg) => {
      const listed = () => new Set(packed.get(name)?.files.map((file) => file.path))

      it('ships LICENSE (the root one), README.md and package.json', () => {
        expect([...listed()]).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']))
        expect(readFileSync(join(rootDir, dir, 'LICENSE'), 'utf8')).toBe(
          readFileSync(join(rootDir, 'LICENSE'), 'utf8'),
        )
      })

      it('ships its entry points: `files` covers them, and the tarball lists those that are built', () => {
        const files = (pkg.files ?? []).map((entry) => entry.replace(/^\.\//, '').replace(/\/$/, ''))
        const targets = entryPoints(pkg)
        expect(targets.length, 'main, exports, types or bin').toBeGreaterThan(0)
        for (const target of targets) {
          const covered = files.some((entry) => target === entry || target.startsWith(`${entry}/`))
          expect(covered, `${target} is in "files" (${files.join(', ')})`).toBe(true)
          if (existsSync(join(rootDir, dir, target))) expect(listed().has(target), target).toBe(true)
        }
      })

      it('has license, repository (with its directory), homepage and bugs', () => {
        expect(pkg.license).toBe(root.license)
        const repository = typeof root.repository === 'object' ? root.repository : undefined
        expect(repository?.url, 'the root package.json has a repository').toMatch(/^git\+https:\/\//)
        expect(pkg.repository).toEqual({ type: 'git', url: repository?.url, directory: dir })
        expect(pkg.homepage).toMatch(/^https:\/\//)
        const bugs = typeof pkg.bugs === 'string' ? pkg.bugs : pkg.bugs?.url
        expect(bugs).toMatch(/^https:\/\//)
      })

      it('publishes publicly with npm provenance', () => {
        expect(pkg.publishConfig).toMatchObject({ access: 'public', provenance: true })
      })
    },
  )
})
