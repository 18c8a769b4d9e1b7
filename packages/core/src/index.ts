export {
  type CachedObject,
  createS3Cache,
  type PutOptions,
  type S3Cache,
  type WrapOptions,
  type WrapValue,
} from './cache'
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
export { type Duration, toMs } from './duration'
export {
  CacheConfigError,
  CacheWriteError,
  InvalidKeyError,
  ObjectNotFoundError,
  OriginError,
  S3CacheError,
  type SchemaIssue,
  SchemaValidationError,
  ValkeyAuthError,
  ValkeyConnectionError,
} from './errors'
export type { CacheEvent, CacheEventListener, ErrorOperation, HitLayer } from './events'
export type { GetOptions, S3CacheOptions } from './options'
export type { InferOutput, StandardSchemaV1 } from './schema'
