import { PutObjectCommand } from '@aws-sdk/client-s3'
import middy from '@middy/core'
import httpCors from '@middy/http-cors'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import type { S3Cache } from '@valkey-s3-cache/core'
import {
  type HttpCacheOptions,
  type HttpEvent,
  httpCache,
  type S3CacheContext,
  s3Cache,
} from '@valkey-s3-cache/middy'
import { type ServerPair, uniqueKey as testkitUniqueKey } from '@valkey-s3-cache/testkit'
import type { APIGatewayProxyResult } from 'aws-lambda'

/** An S3 key no other test uses. */
export const uniqueKey = (label = 'doc') => testkitUniqueKey(label)

export async function putJson(servers: Pick<ServerPair, 's3'>, key: string, value: unknown): Promise<void> {
  const command = new PutObjectCommand({
    Bucket: servers.s3.bucket,
    Key: key,
    Body: JSON.stringify(value),
    ContentType: 'application/json',
  })
  await servers.s3.client.send(command)
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The S3 key a request names: `{ key }` in a (parsed) JSON body, or `?key=`. */
function objectKeyOf(event: HttpEvent): string {
  const body = event.body as unknown
  if (typeof body === 'object' && body !== null) return String((body as { key?: unknown }).key)
  return event.queryStringParameters?.key ?? ''
}

type Result = APIGatewayProxyResult
export type Respond = (event: HttpEvent, context: S3CacheContext) => Promise<Result>

/** Reads `{ key }` (body or query) from the cache: the architecture's `POST /objects`. */
export const readObject: Respond = async (event, context) => {
  const key = objectKeyOf(event)
  const doc = await context.s3Cache.getJson(key)
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ key, doc }),
  }
}

export interface AppOptions {
  cache: S3Cache
  http?: Omit<HttpCacheOptions, 'cache'>
  /** `cache-first` (the README's order) or `parser-first` (http-json-body-parser before httpCache). Default `cache-first`. */
  order?: 'cache-first' | 'parser-first'
  respond?: Respond
  cors?: Parameters<typeof httpCors>[0]
}

export interface App {
  invoke(event: HttpEvent): Promise<Result>
  /** How often the handler itself ran. */
  runs(): number
  /** What http-error-handler received. */
  errors: unknown[]
}

/** The handler as the README composes it, with real middy middlewares. */
export function makeApp(options: AppOptions): App {
  let runs = 0
  const errors: unknown[] = []
  const respond = options.respond ?? readObject
  const parser = httpJsonBodyParser({ disableContentTypeError: true })
  const cached = httpCache({ cache: options.cache, methods: ['GET', 'HEAD', 'POST'], ...options.http })
  // httpCache first: its `before` answers hits before anything else runs, its `after` runs last.
  const ordered = options.order === 'parser-first' ? [parser, cached] : [cached]
  const handler = middy<HttpEvent, Result>()
    .use(ordered)
    .use(httpCors(options.cors ?? { origin: '*' }))
    .use(httpErrorHandler({ logger: (error) => errors.push(error) }))
    .use(options.order === 'parser-first' ? [] : [parser])
    .use(s3Cache({ cache: options.cache }))
    .handler(async (event, context) => {
      runs++
      return respond(event, context)
    })
  return {
    // middy types the outer handler with the extended context; Lambda passes a plain one.
    invoke: (event) => handler(event, {} as S3CacheContext),
    runs: () => runs,
    errors,
  }
}
