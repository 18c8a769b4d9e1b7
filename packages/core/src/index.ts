export { createS3Cache } from './cache'
export type {
  CachedObject,
  EntryInspection,
  GetOptions,
  InvalidateOptions,
  Jsonified,
  PutOptions,
  ReadStatus,
  S3Cache,
  WarmOptions,
  WarmProgress,
  WarmResult,
  WrapLoaderContext,
  WrapOptions,
  WrapValue,
} from './cache-api'
export { createValkeyClient } from './connect/create-client'
export { fromEnv } from './connect/from-env'
export { createIamAuthToken, type IamTokenRequest } from './connect/iam'
export type {
  AwsCredentials,
  IamAuthOptions,
  ValkeyClient,
  ValkeyConnectionOptions,
  ValkeyCredentials,
} from './connect/options'
export { type Duration, MAX_TIMER_MS, MAX_TTL_MS, toMs } from './duration'
export {
  CacheConfigError,
  CacheWriteError,
  InvalidEventError,
  InvalidKeyError,
  InvalidValueError,
  ObjectNotFoundError,
  OriginError,
  S3CacheError,
  type S3CacheErrorCode,
  S3EventFailedError,
  type SchemaIssue,
  SchemaValidationError,
  ValkeyAuthError,
  ValkeyConnectionError,
} from './errors'
export type { CacheEvent, CacheEventListener, ErrorOperation, HitLayer } from './events'
export { readOptions, type WithDefaults } from './option-reader'
export type { S3CacheOptions } from './options'
export { invalidateFromS3Event } from './s3-events/invalidate'
export type {
  S3ChangeEvent,
  S3EventBridgeEvent,
  S3EventOptions,
  S3EventOutcome,
  S3NotificationEvent,
  S3NotificationRecord,
  S3TestEvent,
  SnsEvent,
  SnsRecord,
  SqsBatchResponse,
  SqsEvent,
  SqsRecord,
} from './s3-events/types'
export type { InferOutput, StandardSchemaV1 } from './schema'
export type { GlideClientLike } from './store/glide'
export {
  CHANNELS,
  type OriginTraceContext,
  type ReadTraceContext,
  type StoreTraceContext,
} from './tracing'
export { withSignal } from './with-signal'
