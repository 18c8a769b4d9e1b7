// The README's complete handler (docs/snippets/middy-handler.ts, the same code), run as written, with
// real middy middlewares, a real S3 server and a real valkey-server: it reads only what it allows.
import { readFileSync } from 'node:fs'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { putJson, uniqueKey } from './support/app'
import { v1Event } from './support/events'
import { useServers } from './support/servers'

const servers = useServers()
const snippetUrl = new URL('../../../docs/snippets/middy-handler.ts', import.meta.url)
type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>
let handler: Handler
/** http-error-handler's default logger, `console.error`, taken when its module loads (so before the imports). */
const logged = vi.hoisted(() => vi.spyOn(console, 'error').mockImplementation(() => {}))

beforeAll(async () => {
  // What the snippet reads at module load: the bucket, Valkey, and the S3 client's default configuration.
  vi.stubEnv('BUCKET', servers.bucket)
  vi.stubEnv('VALKEY_URL', servers.valkey.url)
  vi.stubEnv('AWS_ENDPOINT_URL_S3', servers.s3.endpoint)
  vi.stubEnv('AWS_REGION', 'us-east-1')
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER')
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER')
  ;({ handler } = (await import(snippetUrl.href)) as { handler: Handler })
})

afterAll(() => {
  vi.unstubAllEnvs()
  logged.mockRestore()
})

const post = (body: unknown) =>
  handler(
    v1Event({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    {} as Context,
  )

describe("the README's complete handler", () => {
  it('is the code of docs/snippets/middy-handler.ts', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const block = /## A complete handler[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toBe(readFileSync(snippetUrl, 'utf8'))
  })

  it('answers an object under the allowed prefix and refuses every other key, and other fields', async () => {
    const allowed = `public/${uniqueKey()}`
    const secret = `private/${uniqueKey('secret')}`
    await putJson(servers, allowed, { open: true })
    await putJson(servers, secret, { secret: true })
    const answers = [
      await post({ key: allowed }),
      await post({ key: secret }),
      await post({ key: `public/../${secret}` }),
      await post({ key: allowed, extra: 1 }),
      await post({ key: 42 }),
    ]
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 400, 400, 400, 400])
    expect(JSON.parse(answers[0]?.body ?? '')).toEqual({ open: true })
    for (const refused of answers.slice(1)) expect(refused.body).not.toContain('secret')
    expect(logged).toHaveBeenCalledTimes(4)
  })
})
