import { CfnParameter } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import { KEY_PREFIX_PATTERN } from './access-string'

/**
 * The CloudFormation parameters of the stack. They carry the same names, types, defaults and
 * constraints as the `Parameters` of `../sam/template.yaml`, so one set of `--parameter-overrides`
 * works for both (the agreement test checks it). Values that change the shape of the stack (auth mode,
 * number of AZs, the API Gateway account role) are synth-time props instead: see `ValkeyS3CacheStackProps`.
 */
export interface StackParameters {
  /** Lower-case name of the cache; also names the user group (`<name>`) and the user (`<name>-app`). */
  readonly cacheName: string
  readonly maxDataStorageGb: number
  readonly maxEcpuPerSecond: number
  readonly apiRateLimit: number
  readonly apiBurstLimit: number
  readonly apiMonthlyQuota: number
  readonly apiStageRateLimit: number
  readonly apiStageBurstLimit: number
  readonly cacheTtl: string
  /** Every Valkey key and channel starts with it: the user's ACL patterns (`~<prefix>*`, `&<prefix>*`) and the functions' `CACHE_KEY_PREFIX`. */
  readonly keyPrefix: string
  readonly corsOrigin: string
  readonly s3PrefixListId: string
}

/** Defaults: small limits, so a forgotten demo stack cannot run up a large bill. */
export const PARAMETER_DEFAULTS = {
  CacheName: 's3cache',
  MaxDataStorageGB: 1,
  MaxEcpuPerSecond: 5000,
  ApiRateLimit: 50,
  ApiBurstLimit: 100,
  ApiMonthlyQuota: 100000,
  // The stage's default throttle, for every caller together: twice the usage plan's per-key limits, so
  // one key at its limit is never throttled by the stage, yet the stage has a ceiling of its own (for
  // the CORS preflight, which needs no key, and for any keys added to the plan later).
  ApiStageRateLimit: 100,
  ApiStageBurstLimit: 200,
  CacheTtl: '5m',
  KeyPrefix: 's3c:',
  CorsOrigin: '*',
} as const

/** `defaults` overrides the defaults above (the stack's `keyPrefix` prop sets `KeyPrefix`'s). */
export function defineParameters(
  scope: Construct,
  defaults: { readonly KeyPrefix?: string } = {},
): StackParameters {
  const text = (id: string, props: ConstructorParameters<typeof CfnParameter>[2]) =>
    new CfnParameter(scope, id, { type: 'String', ...props }).valueAsString
  const number = (id: keyof typeof PARAMETER_DEFAULTS, description: string, min: number, max: number) =>
    new CfnParameter(scope, id, {
      type: 'Number',
      default: PARAMETER_DEFAULTS[id],
      minValue: min,
      maxValue: max,
      description,
    }).valueAsNumber

  return {
    cacheName: text('CacheName', {
      default: PARAMETER_DEFAULTS.CacheName,
      // ElastiCache stores IDs in lower case; IAM auth needs user name == user ID, so keep both lower case.
      allowedPattern: '^[a-z][a-z0-9-]{0,30}$',
      description: 'Serverless cache name; the user group is <name> and the application user <name>-app',
    }),
    maxDataStorageGb: number('MaxDataStorageGB', 'Cache usage limit: maximum data storage in GB', 1, 5000),
    maxEcpuPerSecond: number(
      'MaxEcpuPerSecond',
      'Cache usage limit: maximum ElastiCache Processing Units per second',
      1000,
      15000000,
    ),
    apiRateLimit: number('ApiRateLimit', 'Usage plan: steady-state requests per second', 1, 10000),
    apiBurstLimit: number('ApiBurstLimit', 'Usage plan: burst capacity (requests)', 1, 5000),
    apiMonthlyQuota: number('ApiMonthlyQuota', 'Usage plan: requests per API key per month', 1, 1000000000),
    apiStageRateLimit: number(
      'ApiStageRateLimit',
      'Stage default throttle: steady-state requests per second per method, all callers together',
      1,
      10000,
    ),
    apiStageBurstLimit: number(
      'ApiStageBurstLimit',
      'Stage default throttle: burst capacity per method (requests), all callers together',
      1,
      5000,
    ),
    cacheTtl: text('CacheTtl', {
      default: PARAMETER_DEFAULTS.CacheTtl,
      allowedPattern: '^[0-9]+(ms|s|m|h|d)?$',
      description: "CACHE_TTL for the handler: milliseconds, or '500ms' | '30s' | '5m' | '1h' | '1d'",
    }),
    keyPrefix: text('KeyPrefix', {
      default: defaults.KeyPrefix ?? PARAMETER_DEFAULTS.KeyPrefix,
      allowedPattern: KEY_PREFIX_PATTERN,
      description:
        'keyPrefix of the cache: every Valkey key starts with it; the user may reach only ~<prefix>* and &<prefix>* (CACHE_KEY_PREFIX)',
    }),
    corsOrigin: text('CorsOrigin', {
      default: PARAMETER_DEFAULTS.CorsOrigin,
      description: 'Access-Control-Allow-Origin for browsers (your site, e.g. https://app.example.com)',
    }),
    s3PrefixListId: text('S3PrefixListId', {
      // CloudFormation has no way to look up the regional S3 prefix list, so the deployer passes it:
      // aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.<region>.s3
      allowedPattern: '^pl-[0-9a-f]+$',
      description: 'ID of the AWS-managed prefix list com.amazonaws.<region>.s3 (Lambda egress to S3)',
    }),
  }
}
