import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Pages quote the packages' READMEs by line range (`<!--@include: ../../packages/core/README.md{117,133}-->`),
// since those files carry no region markers. This test fails when a README changes under a range, so a
// quoted section can never silently start or end in the middle of another.
const docsDir = fileURLToPath(new URL('..', import.meta.url))
const includeRE = /<!--\s*@include:\s*(.*?)\s*-->/g

const pages = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', 'api', '.vitepress', 'test'].includes(entry.name)) return []
    const path = join(dir, entry.name)
    return entry.isDirectory() ? pages(path) : entry.name.endsWith('.md') ? [path] : []
  })

const includes = pages(docsDir).flatMap((page) =>
  [...readFileSync(page, 'utf8').matchAll(includeRE)].map(([, target = '']) => ({ page, target })),
)

const isHeading = (line: string | undefined) => line !== undefined && /^#{1,6} /.test(line)
const nonBlank = (lines: string[], from: number, step: number) => {
  let index = from
  while (index >= 0 && index < lines.length && (lines[index] ?? '').trim() === '') index += step
  return lines[index]
}

describe('included markdown', () => {
  it('finds the includes', () => {
    expect(includes.length).toBeGreaterThan(10)
  })

  it.each(includes.map(({ page, target }) => [relative(docsDir, page), target] as const))(
    '%s includes %s: an existing file, whole sections only',
    (page, target) => {
      const match = /^(.*?)(?:\{(\d*),(\d*)\})?$/.exec(target)
      const file = join(dirname(join(docsDir, page)), match?.[1] ?? '')
      const lines = readFileSync(file, 'utf8').split(/\r?\n/)
      if (!match?.[2] && !match?.[3]) return
      const start = Number(match[2] || 1) - 1 // index of the first included line
      const end = match[3] ? Number(match[3]) : lines.length // index after the last included line
      expect(start, 'the range starts inside the file').toBeLessThan(lines.length)
      expect(end, 'the range ends inside the file').toBeLessThanOrEqual(lines.length)
      const startsAtSection =
        isHeading(lines[start]) || start === 0 || isHeading(nonBlank(lines, start - 1, -1))
      expect(startsAtSection, `line ${start + 1} of ${match[1]} begins a section`).toBe(true)
      const after = nonBlank(lines, end, 1)
      expect(after === undefined || isHeading(after), `line ${end} of ${match[1]} ends a section`).toBe(true)
    },
  )
})
