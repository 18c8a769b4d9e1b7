/**
 * Everything the CDK app and the SAM template must agree on, in one place. The SAM template repeats
 * these values (YAML cannot import TypeScript); `infra-examples/sam/test/agreement.test.ts` compares
 * the two synthesized templates so a change here without the same change there fails `npm test`.
 * Nothing in lib/ reads a file outside lib/ at synth time, except the handler package the stack is given.
 */

/**
 * Paths never staged, whatever the context's .dockerignore says (CDK prepends its lines to this list).
 * CDK copies the context into cdk.out and hashes it on every synth: a context that grows to the
 * repository root must not drag every node_modules along.
 */
export const DOCKER_EXCLUDE = [
  '**/node_modules',
  '.git',
  '**/cdk.out',
  '**/.aws-sam',
  '**/coverage',
  'bench/results',
]

/** Valkey's TLS port (primary endpoint) and ElastiCache Serverless's reader endpoint (`readFrom: 'replica'`). */
export const CACHE_PORTS = [6379, 6380] as const

/** ElastiCache Serverless for Valkey: the engine and the major version this example is tested against. */
export const ENGINE = 'valkey'
export const MAJOR_ENGINE_VERSION = '8'

/**
 * The two handlers (`module.export`): the API's is the image's CMD or the zip's `index.handler`; the
 * S3-event invalidator (examples/api/src/invalidator.ts) runs the same image with its command set to
 * `invalidator.handler`, or the same zip with that handler. It is small and short-lived (one event
 * removes one entry: a script round trip, plus the connection on a cold start).
 */
export const API_HANDLER = 'index.handler'
export const INVALIDATOR_HANDLER = 'invalidator.handler'
export const INVALIDATOR_COMMAND = [INVALIDATOR_HANDLER]
export const INVALIDATOR_MEMORY_MB = 256
export const INVALIDATOR_TIMEOUT_SECONDS = 10

/** The EventBridge rule: S3's object changes of the one bucket (`detail.bucket.name` is added per stack). */
export const S3_CHANGE_PATTERN = { source: ['aws.s3'], detailType: ['Object Created', 'Object Deleted'] }

/**
 * The rule's target: EventBridge retries a delivery it could not make (throttled, Lambda unavailable)
 * for at most an hour and 8 attempts, then puts the event in the dead-letter queue, kept 14 days.
 */
export const INVALIDATOR_RETRY = { maximumRetryAttempts: 8, maximumEventAgeSeconds: 3600 }
/**
 * The function's asynchronous invocation (`AWS::Lambda::EventInvokeConfig`): an invocation that fails
 * (the handler throws: Valkey unreachable, a record that failed) is retried twice by Lambda; an event
 * still failing then, or waiting longer than an hour in Lambda's queue (throttled, reserved concurrency),
 * goes to the on-failure destination, the same dead-letter queue, instead of being dropped.
 */
export const INVALIDATOR_ASYNC_INVOKE = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 }
export const DEAD_LETTER_RETENTION_DAYS = 14

/** API Gateway stage and the one resource path the handler serves. */
export const STAGE_NAME = 'prd'
export const RESOURCE_PATH = 'objects'

/**
 * API Gateway access log line (JSON). `$context.identity.apiKeyId` shows which key made a request,
 * `$context.error.messageString` is already quoted, so the line stays valid JSON.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integrationLatency',
  apiKeyId: '$context.identity.apiKeyId',
  error: '$context.error.messageString',
}).replace('"$context.error.messageString"', '$context.error.messageString')

/** Days CloudWatch keeps the function's and the API's logs. */
export const LOG_RETENTION_DAYS = 30
