/** The stable `code` of each error class, for logs, metrics and `switch` statements. */
export type S3CacheErrorCode =
  | 'OBJECT_NOT_FOUND'
  | 'INVALID_KEY'
  | 'SCHEMA_VALIDATION'
  | 'CACHE_CONFIG'
  | 'VALKEY_AUTH'
  | 'ORIGIN_ERROR'
  | 'CACHE_WRITE'
  | 'VALKEY_CONNECTION'
  | 'INVALID_EVENT'
  | 'INVALID_VALUE'
  | 'S3_EVENT_FAILED'

/** Base class of every error this library throws: a stable `code`, the original `cause`, and HTTP hints for `@middy/http-error-handler`. */
export class S3CacheError extends Error {
  override name = 'S3CacheError'
  readonly code: S3CacheErrorCode
  /** HTTP status an API should answer with (read by `@middy/http-error-handler`). */
  readonly statusCode: number
  /** Whether the message is safe to show to API clients. */
  readonly expose: boolean

  constructor(
    code: S3CacheErrorCode,
    message: string,
    options: { cause?: unknown; statusCode?: number; expose?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.statusCode = options.statusCode ?? 500
    this.expose = options.expose ?? this.statusCode < 500
  }
}

/**
 * The S3 object does not exist (possibly answered from the negative cache). Its message, which
 * `@middy/http-error-handler` shows to API clients, is only `Object not found`: a key or bucket name
 * would reveal the bucket's layout. Logs find both on the error, as `bucket` and `key`.
 */
export class ObjectNotFoundError extends S3CacheError {
  override name = 'ObjectNotFoundError'
  /** The bucket read: the read's own `bucket` option, else the cache's. */
  readonly bucket: string
  readonly key: string

  constructor(bucket: string, key: string, options: { cause?: unknown } = {}) {
    super('OBJECT_NOT_FOUND', 'Object not found', { ...options, statusCode: 404, expose: true })
    this.bucket = bucket
    this.key = key
  }
}

/** An S3 key (or cache key) that cannot be used: empty, longer than 1024 UTF-8 bytes, or not a string. */
export class InvalidKeyError extends S3CacheError {
  override name = 'InvalidKeyError'

  constructor(message: string) {
    super('INVALID_KEY', message, { statusCode: 400, expose: true })
  }
}

/** One problem reported by a Standard Schema. */
export interface SchemaIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

/** An issue as `path: message` (`user.name: Required`, `items[2]: …`), or its message alone at the top. */
function describeIssue(issue: SchemaIssue): string {
  let path = ''
  for (const part of issue.path ?? []) {
    const key = typeof part === 'object' && part !== null ? part.key : part
    path += typeof key === 'number' ? `[${key}]` : `${path === '' ? '' : '.'}${String(key)}`
  }
  return path === '' ? issue.message : `${path}: ${issue.message}`
}

/** The object's body is not JSON, or does not satisfy the schema. The cached entry is kept, so a fixed schema works at once. */
export class SchemaValidationError extends S3CacheError {
  override name = 'SchemaValidationError'
  readonly key: string
  readonly issues: ReadonlyArray<SchemaIssue>

  /** `notJson`: the body is not JSON at all (no schema ran). */
  constructor(
    key: string,
    issues: ReadonlyArray<SchemaIssue>,
    options: { cause?: unknown; notJson?: boolean } = {},
  ) {
    const { notJson, ...rest } = options
    const summary = issues.slice(0, 3).map(describeIssue).join('; ')
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''
    const what = notJson ? 'is not JSON' : 'does not match the schema'
    super('SCHEMA_VALIDATION', `Object ${key} ${what}: ${summary}${more}`, {
      ...rest,
      statusCode: 500,
      expose: false,
    })
    this.key = key
    this.issues = issues
  }
}

/** An option passed to `createS3Cache` or `createValkeyClient` is invalid; `option` names it. */
export class CacheConfigError extends S3CacheError {
  override name = 'CacheConfigError'
  readonly option: string

  constructor(option: string, message: string, options: { cause?: unknown } = {}) {
    super('CACHE_CONFIG', `Invalid option "${option}": ${message}`, {
      ...options,
      statusCode: 500,
      expose: false,
    })
    this.option = option
  }
}

/**
 * Valkey refused the credentials (WRONGPASS) or the user lacks a permission (NOPERM).
 * Names the user and, for NOPERM, the missing command or key; never the password or token.
 */
export class ValkeyAuthError extends S3CacheError {
  override name = 'ValkeyAuthError'
  readonly username: string | undefined
  /** For NOPERM: the command or key pattern the ACL is missing, when Valkey says which. */
  readonly permission: string | undefined

  constructor(message: string, options: { username?: string; permission?: string; cause?: unknown } = {}) {
    super('VALKEY_AUTH', message, { cause: options.cause, statusCode: 500, expose: false })
    this.username = options.username
    this.permission = options.permission
  }
}

/** S3 failed (other than NoSuchKey) or did not answer within `timeouts.s3`, and no stale entry could be served. */
export class OriginError extends S3CacheError {
  override name = 'OriginError'

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ORIGIN_ERROR', message, { ...options, statusCode: 502, expose: false })
  }
}

/** `put` wrote S3 but could not update or remove the cache entry: readers may see the old body until its TTL ends. */
export class CacheWriteError extends S3CacheError {
  override name = 'CacheWriteError'

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CACHE_WRITE', message, { ...options, statusCode: 500, expose: false })
  }
}

/** Valkey could not be reached, dropped the connection, or the TLS handshake failed. */
export class ValkeyConnectionError extends S3CacheError {
  override name = 'ValkeyConnectionError'

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('VALKEY_CONNECTION', message, { ...options, statusCode: 503, expose: false })
  }
}

/** `invalidateFromS3Event` was given something that is not an S3 notification, SQS, SNS or EventBridge event; the message names the shapes. */
export class InvalidEventError extends S3CacheError {
  override name = 'InvalidEventError'

  constructor(message: string) {
    super('INVALID_EVENT', message, { statusCode: 400, expose: true })
  }
}

/**
 * Some records of an S3 event (delivered by S3, SNS or EventBridge, not SQS) could not be applied. Thrown by
 * the middy `s3EventInvalidator` so that Lambda retries the event and then hands it to the function's
 * on-failure destination; retrying is safe, since applied records are then duplicates.
 */
export class S3EventFailedError extends S3CacheError {
  override name = 'S3EventFailedError'
  readonly applied: number
  readonly ignored: number
  readonly failed: number

  constructor(counts: { applied: number; ignored: number; failed: number }) {
    const total = counts.applied + counts.ignored + counts.failed
    super('S3_EVENT_FAILED', `${counts.failed} of ${total} S3 event records could not be applied`, {
      statusCode: 500,
      expose: false,
    })
    this.applied = counts.applied
    this.ignored = counts.ignored
    this.failed = counts.failed
  }
}

/** A `wrap` loader returned a value the cache cannot store and give back: `undefined`, a function, a symbol, a bigint, or one JSON cannot encode. Nothing was stored. */
export class InvalidValueError extends S3CacheError {
  override name = 'InvalidValueError'
  readonly key: string

  constructor(key: string, message: string, options: { cause?: unknown } = {}) {
    super('INVALID_VALUE', `wrap(${JSON.stringify(key)}): ${message}`, {
      ...options,
      statusCode: 500,
      expose: false,
    })
    this.key = key
  }
}
