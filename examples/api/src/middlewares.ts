import type { MiddlewareObj } from '@middy/core'
import type { HttpEvent } from '@valkey-s3-cache/middy'
import type { APIGatewayProxyResult } from 'aws-lambda'
import { ObjectRequest } from './request'

/** The same test as @middy/http-json-body-parser: `application/json` or `application/<x>+json`. */
const JSON_CONTENT_TYPE = /^application\/(.+\+)?json\s*(;.*)?$/i

function header(event: HttpEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && typeof value === 'string') return value
  }
  return undefined
}

/**
 * httpCache's key for `POST /objects`: the validated S3 key, not the raw body. Two bodies naming the
 * same key (other spacing, other field order) share one stored response, and a client cannot mint
 * endless cache entries by varying the JSON. Requests the handler would refuse (not JSON, wrong
 * content type, bad key) get no key: they are not cached and the handler answers them as usual.
 */
export function objectResponseKey(event: HttpEvent): string | undefined {
  if (!JSON_CONTENT_TYPE.test(header(event, 'content-type') ?? '')) return undefined
  if (typeof event.body !== 'string') return undefined
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return undefined
  }
  const parsed = ObjectRequest.safeParse(body)
  if (!parsed.success) return undefined
  const route = 'resource' in event && event.resource ? event.resource : '/objects'
  return `POST ${route} ${parsed.data.key}`
}

type Middleware = MiddlewareObj<HttpEvent, APIGatewayProxyResult>

/**
 * Every error answer as `{"message": "..."}` (the shape API Gateway uses for its own errors), where
 * http-error-handler writes plain text. Register it before httpErrorHandler: `onError` hooks run in
 * reverse, so this one sees the response httpErrorHandler made.
 */
export function jsonErrorBody(): Middleware {
  return {
    onError: (request) => {
      const response = request.response as APIGatewayProxyResult | undefined
      if (response === undefined || typeof response.body !== 'string') return
      const headers = response.headers ?? {}
      const contentType = headers['Content-Type'] ?? headers['content-type']
      if (typeof contentType === 'string' && JSON_CONTENT_TYPE.test(contentType)) return
      delete headers['Content-Type']
      headers['content-type'] = 'application/json'
      response.headers = headers
      response.body = JSON.stringify({ message: response.body })
    },
  }
}
