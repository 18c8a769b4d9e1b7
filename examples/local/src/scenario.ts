// The demo's scripted requests: every answer of the architecture, in order, over real HTTP, and the
// change of an object in S3 between two of them.
import { API_KEYS, SEED, type Stack, TRIAL_PLAN } from './stack'
import { truncate } from './table'

export interface Row {
  request: string
  /** The HTTP status; `undefined` for a step that is not a request to the API (a write to S3). */
  status: number | undefined
  expected: number | undefined
  xCache: string
  /** The `x-cache` the step must get, where the script depends on it (`MISS` after the object changed). */
  expectedXCache?: string | undefined
  latencyMs: number
  answer: string
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The answer in a few words: an error's message, the start of a document, or the CORS verdict. */
function summarize(response: Response, text: string): string {
  const methods = response.headers.get('access-control-allow-methods')
  if (text === '') return methods ? `allow-methods: ${methods}` : '(no body)'
  try {
    const { message } = JSON.parse(text) as { message?: unknown }
    if (typeof message === 'string' && !response.ok) return message
  } catch {
    // not JSON: shown as is
  }
  return truncate(text.replace(/\s+/g, ' '), 56)
}

/**
 * Sends the script to the gateway at `baseUrl` (the stage URL) and returns one row per step: the
 * requests, and `putObject`'s change of an object in S3 (PutObject, then the S3 event to the invalidator).
 */
export async function runScenario(baseUrl: string, putObject: Stack['putObject']): Promise<Row[]> {
  const url = `${baseUrl}/objects`
  const rows: Row[] = []
  const send = async (request: string, expected: number, init: RequestInit, expectedXCache?: string) => {
    const started = performance.now()
    const response = await fetch(url, init)
    const text = await response.text()
    rows.push({
      request,
      status: response.status,
      expected,
      xCache: response.headers.get('x-cache') ?? '',
      expectedXCache,
      latencyMs: performance.now() - started,
      answer: summarize(response, text),
    })
    return response
  }
  const post = (
    key: string,
    apiKey: string | undefined,
    headers: Record<string, string> = {},
  ): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}), ...headers },
    body: JSON.stringify({ key }),
  })
  const { standard, trial } = API_KEYS

  const first = await send('docs/welcome.json', 200, post('docs/welcome.json', standard))
  await send('docs/welcome.json again', 200, post('docs/welcome.json', standard))
  const etag = first.headers.get('etag') ?? '""'
  await send(
    'docs/welcome.json + If-None-Match',
    304,
    post('docs/welcome.json', standard, { 'if-none-match': etag }),
  )
  await send('docs/pricing.json', 200, post('docs/pricing.json', standard))

  // An object changes in S3: the bucket's event reaches the invalidator, which removes the object's
  // entry and every stored response built from it. The next request is a MISS with the new version.
  const flags = 'config/feature-flags.json'
  await send(flags, 200, post(flags, standard), 'MISS')
  await send(`${flags} again`, 200, post(flags, standard), 'HIT')
  const started = performance.now()
  const { applied, failed } = await putObject(flags, { ...(SEED[flags] as object), darkMode: true })
  rows.push({
    request: `S3 PutObject ${flags}`,
    status: undefined,
    expected: undefined,
    xCache: '',
    latencyMs: performance.now() - started,
    answer: `ObjectCreated:Put → invalidator: applied ${applied}, failed ${failed}`,
  })
  await send(`${flags} after the put`, 200, post(flags, standard), 'MISS')
  await send(`${flags} once more`, 200, post(flags, standard), 'HIT')

  await send('docs/missing.json', 404, post('docs/missing.json', standard))
  await send('../secrets.json', 400, post('../secrets.json', standard))
  await send('docs/welcome.json, no x-api-key', 403, post('docs/welcome.json', undefined))
  await send(
    'docs/welcome.json, wrong x-api-key',
    403,
    post('docs/welcome.json', 'not-the-right-key-0000000'),
  )
  await send('OPTIONS (CORS preflight), no key', 204, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-api-key',
    },
  })
  // The trial plan: burst 2, 1 request/s, 3 requests a day.
  const { burstLimit, rateLimit, quotaPerDay } = TRIAL_PLAN
  for (let i = 1; i <= burstLimit; i++) await send(`trial key #${i}`, 200, post('docs/welcome.json', trial))
  await send(`trial key #${burstLimit + 1}, same second`, 429, post('docs/welcome.json', trial))
  const waitMs = Math.ceil(1000 / rateLimit) + 100
  await sleep(waitMs)
  await send(`trial key #${burstLimit + 2}, ${waitMs / 1000} s later`, 200, post('docs/welcome.json', trial))
  await send(`trial key #${burstLimit + 3}, quota ${quotaPerDay}/day`, 429, post('docs/welcome.json', trial))
  return rows
}
