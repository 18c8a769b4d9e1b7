import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitepress'
import { home } from './home'

// Links in the repository's markdown point at files (`../../docs/coherence.md`, `../infra-examples/cdk`).
// On the site those files are pages; this table maps a link's target, with its leading `../` removed, to
// the page that shows it.
const repoLinks: [RegExp, string][] = [
  [/^(?:docs\/)?(security|deploy|benchmarks|reliability|coherence)\.md$/, '/$1'],
  [/^docs\/(concepts|guide|operations)\/([\w-]+)\.md$/, '/$1/$2'],
  [/^packages\/(core|middy)(?:\/README\.md)?\/?$/, '/reference/$1'],
  [/^examples\/(api|local)(?:\/README\.md)?\/?$/, '/reference/example-$1'],
  [/^(api|local)\/README\.md$/, '/reference/example-$1'],
  [/^infra-examples\/(cdk|sam)(?:\/README\.md)?\/?$/, '/reference/infra-$1'],
  [/^(cdk|sam)(?:\/README\.md)?\/?$/, '/reference/infra-$1'],
  [/^infra-examples\/?$/, '/guide/cdk'],
]

// GitHub's anchor of `## 3. S3 events` is `#3-s3-events`; VitePress' is `#_3-s3-events`.
const anchor = (hash: string | undefined) => (hash ? `#${hash.replace(/^(\d)/, '_$1')}` : '')

export const rewriteRepoLink = (href: string): string => {
  if (/^[a-z]+:/i.test(href)) return href
  const [path = '', hash] = href.split('#')
  if (path === '' || path.startsWith('/')) return path + anchor(hash)
  const bare = path.replace(/^(?:\.\.?\/)+/, '')
  for (const [pattern, target] of repoLinks) {
    if (pattern.test(bare)) return bare.replace(pattern, target) + anchor(hash)
  }
  return path + anchor(hash)
}

// The sidebar of the generated API reference (written by typedoc-vitepress-theme at docs:build time).
const apiSidebarFile = fileURLToPath(new URL('../api/typedoc-sidebar.json', import.meta.url))
const apiSidebar = existsSync(apiSidebarFile) ? JSON.parse(readFileSync(apiSidebarFile, 'utf8')) : []

export default defineConfig({
  title: 'valkey-s3-cache',
  description: 'Cache-aside for S3 objects in Valkey, for AWS Lambda behind API Gateway',
  cleanUrls: true,
  lastUpdated: false,
  // The site must build and work without network access: no external fonts or scripts.
  head: [],
  markdown: {
    config: (md) => {
      md.core.ruler.push('repo-links', (state) => {
        for (const token of state.tokens) {
          for (const child of token.children ?? []) {
            if (child.type !== 'link_open') continue
            const href = child.attrGet('href')
            if (href) child.attrSet('href', rewriteRepoLink(href))
          }
        }
      })
    },
  },
  transformPageData: (pageData) => {
    if (pageData.relativePath === 'index.md') pageData.frontmatter = { ...home, ...pageData.frontmatter }
  },
  themeConfig: {
    search: { provider: 'local' },
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Concepts', link: '/concepts/read-path' },
      { text: 'Operations', link: '/operations/metrics' },
      { text: 'Benchmarks', link: '/benchmarks' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: [
      {
        text: 'Introduction',
        items: [
          { text: 'What it is', link: '/' },
          { text: 'Getting started', link: '/guide/getting-started' },
        ],
      },
      {
        text: 'Concepts',
        items: [
          { text: 'The read path and entry format', link: '/concepts/read-path' },
          { text: 'Architecture: the module map', link: '/concepts/architecture' },
          { text: 'Consistency guarantees', link: '/concepts/consistency' },
          { text: 'Stampede protection', link: '/concepts/stampede' },
          { text: 'Fail-open', link: '/concepts/fail-open' },
        ],
      },
      {
        text: 'Guides',
        items: [
          { text: 'ElastiCache Serverless', link: '/guide/elasticache-serverless' },
          { text: 'Cluster and connections', link: '/guide/cluster' },
          { text: 'GLIDE or iovalkey', link: '/guide/glide' },
          { text: 'ACL, IAM and TLS', link: '/security' },
          { text: 'Middy composition', link: '/guide/middy' },
          { text: 'Deploy with CDK', link: '/guide/cdk' },
          { text: 'Deploy with SAM', link: '/guide/sam' },
          { text: 'Deploying the example API', link: '/deploy' },
          { text: 'S3 event invalidation', link: '/guide/s3-events' },
          { text: 'Tags and dependencies', link: '/guide/tags' },
          { text: 'Warming and coherence', link: '/coherence' },
        ],
      },
      {
        text: 'Operations',
        items: [
          { text: 'Metrics and events', link: '/operations/metrics' },
          { text: 'Observability', link: '/operations/observability' },
          { text: 'Failure modes', link: '/reliability' },
          { text: 'Cost', link: '/operations/cost' },
          { text: 'Benchmarks', link: '/benchmarks' },
          { text: 'Benchmark: L1 coherence', link: '/benchmarks/coherence' },
          { text: 'Releasing', link: '/operations/releasing' },
        ],
      },
      {
        text: 'Package READMEs',
        collapsed: true,
        items: [
          { text: '@valkey-s3-cache/core', link: '/reference/core' },
          { text: '@valkey-s3-cache/middy', link: '/reference/middy' },
          { text: '@valkey-s3-cache/otel', link: '/reference/otel' },
          { text: 'examples/api', link: '/reference/example-api' },
          { text: 'examples/local', link: '/reference/example-local' },
          { text: 'infra-examples/cdk', link: '/reference/infra-cdk' },
          { text: 'infra-examples/sam', link: '/reference/infra-sam' },
        ],
      },
      { text: 'API reference', link: '/api/', collapsed: true, items: apiSidebar },
    ],
  },
})
