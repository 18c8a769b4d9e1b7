// Type-level tests: vitest type-checks this file (typecheck mode); a type error fails the run.
import {
  CacheConfigError,
  type CacheWriteError,
  type InvalidEventError,
  InvalidKeyError,
  ObjectNotFoundError,
  type OriginError,
  S3CacheError,
  type SchemaIssue,
  SchemaValidationError,
  ValkeyAuthError,
  type ValkeyConnectionError,
} from '@valkey-s3-cache/core'
import { describe, expectTypeOf, it } from 'vitest'

declare const error: unknown

describe('error types', () => {
  it('every error class extends S3CacheError', () => {
    expectTypeOf<ObjectNotFoundError>().toExtend<S3CacheError>()
    expectTypeOf<InvalidKeyError>().toExtend<S3CacheError>()
    expectTypeOf<SchemaValidationError>().toExtend<S3CacheError>()
    expectTypeOf<CacheConfigError>().toExtend<S3CacheError>()
    expectTypeOf<ValkeyAuthError>().toExtend<S3CacheError>()
    expectTypeOf<OriginError>().toExtend<S3CacheError>()
    expectTypeOf<CacheWriteError>().toExtend<S3CacheError>()
    expectTypeOf<ValkeyConnectionError>().toExtend<S3CacheError>()
    expectTypeOf<InvalidEventError>().toExtend<S3CacheError>()
    expectTypeOf<S3CacheError>().toExtend<Error>()
  })

  it('instanceof S3CacheError exposes code, statusCode, expose and cause', () => {
    if (error instanceof S3CacheError) {
      // toMatchTypeOf, so it still holds when `code` narrows to a union of literals.
      expectTypeOf(error.code).toMatchTypeOf<string>()
      expectTypeOf(error.statusCode).toBeNumber()
      expectTypeOf(error.expose).toBeBoolean()
      expectTypeOf(error.cause).toBeUnknown()
    }
  })

  it('instanceof narrows to the fields of each class', () => {
    if (error instanceof ObjectNotFoundError) {
      expectTypeOf(error.bucket).toBeString()
      expectTypeOf(error.key).toBeString()
      expectTypeOf(error.statusCode).toBeNumber()
    }
    if (error instanceof SchemaValidationError) {
      expectTypeOf(error.issues).toEqualTypeOf<ReadonlyArray<SchemaIssue>>()
      expectTypeOf(error.issues[0]?.message).toEqualTypeOf<string | undefined>()
    }
    if (error instanceof CacheConfigError) expectTypeOf(error.option).toBeString()
    if (error instanceof ValkeyAuthError) {
      expectTypeOf(error.username).toEqualTypeOf<string | undefined>()
      expectTypeOf(error.permission).toEqualTypeOf<string | undefined>()
    }
    if (error instanceof InvalidKeyError) {
      // @ts-expect-error only ObjectNotFoundError names the bucket
      error.bucket
    }
  })
})
