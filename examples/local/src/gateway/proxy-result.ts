import type { ServerResponse } from 'node:http'
import type { APIGatewayProxyResult } from 'aws-lambda'

type Headers = Record<string, string | string[]>

/** A JSON answer of the gateway itself (403, 429, 502…), shaped like API Gateway's: `{"message": "..."}`. */
export function writeGatewayError(
  res: ServerResponse,
  statusCode: number,
  message: string,
  headers: Headers,
): void {
  res.writeHead(statusCode, { ...headers, 'Content-Type': 'application/json' })
  res.end(JSON.stringify({ message }))
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  const result = value as Partial<APIGatewayProxyResult> | null
  return (
    typeof result === 'object' &&
    result !== null &&
    Number.isInteger(result.statusCode) &&
    (result.body === undefined || result.body === null || typeof result.body === 'string')
  )
}

/**
 * Writes a Lambda proxy result as the HTTP answer. Like API Gateway: `multiValueHeaders` and
 * `headers` are merged, a base64 body is decoded, a missing Content-Type becomes application/json,
 * and a malformed result is a 502 "Internal server error".
 */
export function writeProxyResult(
  res: ServerResponse,
  result: unknown,
  gatewayHeaders: Headers,
): { statusCode: number; headers: Headers } {
  if (!isProxyResult(result)) {
    writeGatewayError(res, 502, 'Internal server error', gatewayHeaders)
    return { statusCode: 502, headers: gatewayHeaders }
  }
  // API Gateway merges `multiValueHeaders` and `headers`; a value present in both appears once.
  const merged = new Map<string, { name: string; values: string[] }>()
  const add = (name: string, value: string) => {
    const entry = merged.get(name.toLowerCase()) ?? { name, values: [] }
    if (!entry.values.includes(value)) entry.values.push(value)
    merged.set(name.toLowerCase(), entry)
  }
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    for (const value of values) add(name, String(value))
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) add(name, String(value))
  // The function's headers win over the gateway's, whatever their case.
  const headers: Headers = Object.fromEntries(
    Object.entries(gatewayHeaders).filter(([name]) => !merged.has(name.toLowerCase())),
  )
  for (const { name, values } of merged.values()) {
    headers[name] = values.length === 1 ? (values[0] as string) : values
  }
  const noBody = result.statusCode === 204 || result.statusCode === 304
  if (!noBody && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/json'
  }
  const body = noBody ? undefined : Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8')
  res.writeHead(result.statusCode, headers)
  res.end(body)
  return { statusCode: result.statusCode, headers }
}
