import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const docsDir = fileURLToPath(new URL('..', import.meta.url))
const distDir = join(docsDir, '.vitepress', 'dist')
const outputDir = join(docsDir, 'test', 'output')
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
}

const isFile = async (path: string) => (await stat(path).catch(() => undefined))?.isFile() ?? false

// What a static host does with VitePress' clean URLs: /guide/cdk → guide/cdk.html, /api/ → api/index.html.
const resolveFile = async (pathname: string): Promise<string | undefined> => {
  const path = normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, '')
  const candidates = path.endsWith('/')
    ? [join(path, 'index.html')]
    : [path, `${path}.html`, join(path, 'index.html')]
  for (const candidate of candidates) {
    const file = join(distDir, candidate)
    if (file.startsWith(distDir) && (await isFile(file))) return file
  }
  return undefined
}

const serve = (): Promise<Server> =>
  new Promise((resolve) => {
    const server = createServer(async (request, response) => {
      const { pathname } = new URL(request.url ?? '/', 'http://localhost')
      const file = await resolveFile(pathname)
      if (!file) {
        response
          .writeHead(404, { 'content-type': 'text/html' })
          .end(await readFile(join(distDir, '404.html')))
        return
      }
      response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' })
      response.end(await readFile(file))
    })
    server.listen(0, '127.0.0.1', () => resolve(server))
  })

let server: Server
let browser: Browser
let origin: string

beforeAll(async () => {
  // Fail, never skip: the site is part of the deliverable.
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is missing at ${chromiumPath}: install it with \`apt-get install -y chromium\` (Debian), or set CHROMIUM_PATH`,
    )
  }
  const build = spawnSync('npm', ['run', 'build'], { cwd: docsDir, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`npm run build -w docs failed:\n${build.stdout}\n${build.stderr}`)
  server = await serve()
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
})

const render = async (path: string) => {
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const response = await page.goto(origin + path, { waitUntil: 'load' })
  expect(response?.status(), path).toBe(200)
  return { page, errors }
}

describe('the documentation site', () => {
  it('renders the home page, with the architecture and the handler, and saves a screenshot', async () => {
    const { page, errors } = await render('/')
    await expect.poll(() => page.locator('.VPHero .name').textContent()).toContain('valkey-s3-cache')
    expect(await page.locator('h2#architecture').textContent()).toContain('Architecture')
    expect(await page.locator('.vp-doc').textContent()).toContain('createS3Cache')
    expect(await page.locator('.vp-doc').textContent()).toContain('npm ci && npm run demo')
    mkdirSync(outputDir, { recursive: true })
    await page.screenshot({ path: join(outputDir, 'home.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  })

  it('renders a guide with its included code sample', async () => {
    const { page, errors } = await render('/guide/middy')
    expect(await page.locator('.vp-doc h1').textContent()).toContain('Middy composition')
    expect(await page.locator('.vp-doc').textContent()).toContain('httpCache({ cache')
    expect(await page.locator('.VPSidebar').textContent()).toContain('ElastiCache Serverless')
    expect(errors).toEqual([])
    await page.close()
  })

  it('renders the API page of createS3Cache, generated from its TSDoc', async () => {
    const { page, errors } = await render('/api/core/functions/createS3Cache')
    expect(await page.locator('.vp-doc h1').textContent()).toContain('createS3Cache')
    expect(await page.locator('.vp-doc').textContent()).toContain('Creates a cache')
    await page.locator('.vp-doc a[href*="S3CacheOptions"]').first().click()
    await page.waitForURL(/S3CacheOptions/)
    // The client-side router swaps the content after the URL changes.
    await expect.poll(() => page.locator('.vp-doc h1').textContent()).toContain('S3CacheOptions')
    expect(errors).toEqual([])
    await page.close()
  })

  it('has no broken internal link or anchor on any page', async () => {
    const pages = new Map<string, { status: number; ids: Set<string> }>()
    const links: { from: string; href: string; path: string; hash: string }[] = []
    const unresolved: string[] = []
    const queue = ['/']
    while (queue.length > 0) {
      const path = queue.shift() as string
      if (pages.has(path)) continue
      const response = await fetch(origin + path)
      const html = await response.text()
      const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1] as string))
      pages.set(path, { status: response.status, ids })
      if (html.includes('@include:')) unresolved.push(path)
      if (response.status !== 200 || !(response.headers.get('content-type') ?? '').startsWith('text/html'))
        continue
      for (const [, raw] of html.matchAll(/<a\s[^>]*href="([^"]+)"/g)) {
        const href = (raw as string).replaceAll('&amp;', '&')
        const url = new URL(href, origin + path)
        if (url.origin !== origin) continue
        links.push({ from: path, href, path: url.pathname, hash: decodeURIComponent(url.hash.slice(1)) })
        if (!pages.has(url.pathname)) queue.push(url.pathname)
      }
    }
    const broken = links
      .filter(({ path, hash }) => {
        const target = pages.get(path)
        return target?.status !== 200 || (hash !== '' && !target.ids.has(hash))
      })
      .map(({ from, href }) => `${from} → ${href}`)
    console.info(
      `crawled ${pages.size} pages, ${links.length} internal links${broken.length ? `; broken:\n${broken.join('\n')}` : ''}`,
    )
    expect(broken).toEqual([])
    expect(unresolved, 'pages with an include VitePress could not resolve').toEqual([])
    expect(pages.size).toBeGreaterThan(60)
  })
})
