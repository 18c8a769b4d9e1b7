import { SchemaValidationError } from './errors'

/**
 * The Standard Schema interface (https://standardschema.dev), copied as its spec
 * recommends so that zod 4, valibot, arktype, … work without a runtime dependency.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
      }>
    }

/** The output type of a Standard Schema. */
export type InferOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output']

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Parses a JSON body and validates it; every failure is a {@link SchemaValidationError}. Synchronous
 * unless the schema validates asynchronously: a plain `getJson` adds no promise of its own.
 */
export function parseJson<S extends StandardSchemaV1>(
  key: string,
  body: Uint8Array,
  schema?: S,
): InferOutput<S> | Promise<InferOutput<S>> {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(body))
  } catch (error) {
    throw new SchemaValidationError(key, [{ message: (error as Error).message }], {
      cause: error,
      notJson: true,
    })
  }
  if (!schema) return value as InferOutput<S>
  const result = schema['~standard'].validate(value)
  return result instanceof Promise ? result.then((done) => outputOf(key, done)) : outputOf(key, result)
}

function outputOf<Output>(key: string, result: StandardResult<Output>): Output {
  if (result.issues) throw new SchemaValidationError(key, result.issues)
  return result.value
}
