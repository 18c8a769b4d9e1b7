// Front matter of the home page (index.md). It lives here because Biome formats markdown in this repository
// and would rewrite YAML front matter as paragraphs; config.ts applies it in transformPageData.
export const home = {
  layout: 'home',
  hero: {
    name: 'valkey-s3-cache',
    text: 'Cache-aside for S3 objects in Valkey',
    tagline: 'For AWS Lambda functions behind API Gateway. One Valkey GET per hit, fail-open to S3.',
    actions: [
      { theme: 'brand', text: 'Get started', link: '/guide/getting-started' },
      { theme: 'alt', text: 'API reference', link: '/api/' },
    ],
  },
  features: [
    {
      title: 'Correct by default',
      details: 'TTLs with jitter, negative caching, stale-while-revalidate on S3 ETags, no stale sets.',
    },
    {
      title: 'Stampede protection',
      details: 'One S3 load per key within a process, and a lease across Lambda instances.',
    },
    {
      title: 'Fail-open',
      details: 'When Valkey is down or slow, reads go to S3; a circuit breaker keeps the outage cheap.',
    },
    {
      title: 'ElastiCache ready',
      details: 'Serverless and cluster mode, TLS, ACL users and IAM authentication.',
    },
  ],
}
