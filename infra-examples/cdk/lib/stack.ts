import { CfnOutput, Fn, Stack, type StackProps, aws_s3 as s3 } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import { KEY_PREFIX_PATTERN } from './access-string'
import { Api, DEFAULT_ROUTES, type Route } from './api'
import { type AuthMode, Cache } from './cache'
import { ApiFunction } from './function'
import { type Architecture, assertBuilt, type HandlerPackage } from './handler-code'
import { Invalidator } from './invalidator'
import { Network } from './network'
import { defineParameters } from './parameters'

/**
 * Synth-time choices: each one changes which resources exist, so they are props (CDK context on the
 * command line) rather than CloudFormation parameters. Everything else is a parameter; see parameters.ts.
 */
export interface ValkeyS3CacheStackProps extends StackProps {
  /** `iam` (default): IAM-authenticated user, no secret to rotate. `password`: a generated Secrets Manager password. */
  readonly authMode?: AuthMode
  /** Availability zones for the subnets: 2 or 3 (default 3; use 2 in regions with two AZs). */
  readonly azCount?: 2 | 3
  /** Create the account-level API Gateway CloudWatch Logs role (default true). */
  readonly createApiGatewayAccountRole?: boolean
  /**
   * The handlers' code, used by both functions: a Docker context (`{ type: 'image', directory }`, the
   * image's CMD is the API's handler) or a directory of bundled handlers (`{ type: 'zip', directory }`:
   * `index.handler` and `invalidator.handler`). Synth throws `HandlerNotBuiltError` when it is not built.
   */
  readonly handler: HandlerPackage
  /**
   * `arm64` (default): Graviton, about 20% cheaper per GB-second than `x86_64`. An image is built for
   * this architecture; a native addon in it (GLIDE's) must be the matching platform package.
   */
  readonly architecture?: Architecture
  /** The API's routes, each requiring an API key. Default: `POST /objects`. */
  readonly routes?: readonly Route[]
  /** Variables of your own for the API function, beside the ones the stack sets (which they may not replace). */
  readonly environment?: Record<string, string>
  /**
   * The default of the `KeyPrefix` parameter (default `s3c:`): every key starts with it, the user's ACL
   * allows the keys `~<prefix>*` and the channels `&<prefix>*` only, and both functions get it as `CACHE_KEY_PREFIX`.
   */
  readonly keyPrefix?: string
}

/**
 * The whole example: VPC, S3 bucket, ElastiCache Serverless (Valkey), the API Lambda and API Gateway,
 * and the invalidator Lambda that S3's events reach through EventBridge.
 */
export class ValkeyS3CacheStack extends Stack {
  readonly azCount: 2 | 3

  constructor(scope: Construct, id: string, props: ValkeyS3CacheStackProps) {
    super(scope, id, {
      description: 'valkey-s3-cache example: API Gateway + Lambda + ElastiCache Serverless (Valkey) + S3',
      ...props,
    })
    this.azCount = props.azCount ?? 3
    const authMode = props.authMode ?? 'iam'
    const architecture = props.architecture ?? 'arm64'
    if (props.keyPrefix !== undefined && !new RegExp(KEY_PREFIX_PATTERN).test(props.keyPrefix))
      throw new Error(`keyPrefix: expected ${KEY_PREFIX_PATTERN}, got ${JSON.stringify(props.keyPrefix)}`)
    // Before any resource: a stack whose handler is missing must not synthesize.
    assertBuilt(props.handler)
    const parameters = defineParameters(
      this,
      props.keyPrefix === undefined ? {} : { KeyPrefix: props.keyPrefix },
    )

    const bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // RETAIN (the default): `cdk destroy` leaves the objects; see the README for removing them.
    })
    // Send every object change to EventBridge (the invalidator's rule picks its events there). Set on
    // the CloudFormation resource rather than with `eventBridgeEnabled: true`, which goes through CDK's
    // BucketNotifications custom resource: one more Lambda (outside the VPC) and role, for a property
    // CloudFormation supports directly (as the SAM template sets it).
    ;(bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    }

    const network = new Network(this, 'Network', {
      azCount: this.azCount,
      bucket,
      s3PrefixListId: parameters.s3PrefixListId,
      secretsEndpoint: authMode === 'password',
    })

    const cache = new Cache(this, 'Cache', {
      authMode,
      cacheName: parameters.cacheName,
      keyPrefix: parameters.keyPrefix,
      subnets: network.vpc.isolatedSubnets,
      securityGroup: network.cacheSecurityGroup,
      maxDataStorageGb: parameters.maxDataStorageGb,
      maxEcpuPerSecond: parameters.maxEcpuPerSecond,
    })
    if (cache.passwordSecret) network.allowSecret(cache.passwordSecret)

    const fn = new ApiFunction(this, 'ApiFunction', {
      cache,
      bucket,
      vpc: network.vpc,
      securityGroup: network.functionSecurityGroup,
      cacheTtl: parameters.cacheTtl,
      corsOrigin: parameters.corsOrigin,
      handler: props.handler,
      architecture,
      ...(props.environment ? { environment: props.environment } : {}),
    })

    new Invalidator(this, 'Invalidator', {
      cache,
      bucket,
      vpc: network.vpc,
      securityGroup: network.invalidatorSecurityGroup,
      handler: props.handler,
      architecture,
    })

    const api = new Api(this, 'Api', {
      handler: fn.function,
      routes: props.routes ?? DEFAULT_ROUTES,
      corsOrigin: parameters.corsOrigin,
      rateLimit: parameters.apiRateLimit,
      burstLimit: parameters.apiBurstLimit,
      monthlyQuota: parameters.apiMonthlyQuota,
      stageRateLimit: parameters.apiStageRateLimit,
      stageBurstLimit: parameters.apiStageBurstLimit,
      createAccountRole: props.createApiGatewayAccountRole ?? true,
    })

    new CfnOutput(this, 'ApiUrl', {
      value: api.restApi.url,
      description: 'Stage URL: POST <ApiUrl>objects with an x-api-key header',
    })
    new CfnOutput(this, 'ApiKeyId', {
      value: api.apiKey.keyId,
      description: 'aws apigateway get-api-key --api-key <id> --include-value --query value --output text',
    })
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName })
    new CfnOutput(this, 'CacheEndpoint', { value: cache.serverlessCache.attrEndpointAddress })
  }

  /**
   * Environment-agnostic stacks get two AZs from CDK (it cannot know the region at synth time). Return
   * `azCount` tokens instead, resolved by CloudFormation (`Fn::GetAZs`), so a synth stays offline and
   * a 3-AZ deployment needs no context lookup.
   */
  override get availabilityZones(): string[] {
    return Array.from({ length: this.azCount }, (_, index) => Fn.select(index, Fn.getAzs()))
  }
}
