import { aws_apigateway as apigw, Duration, aws_logs as logs, RemovalPolicy } from 'aws-cdk-lib'
import type { IFunction } from 'aws-cdk-lib/aws-lambda'
import { Construct } from 'constructs'
import { ACCESS_LOG_FORMAT, STAGE_NAME } from './config'

/** One route to the function: a resource path below the stage (`objects`, `reports/{id}`) and a method. */
export interface Route {
  readonly path: string
  readonly method: string
}

/** The example's one route: `POST /objects`. */
export const DEFAULT_ROUTES: readonly Route[] = [{ path: 'objects', method: 'POST' }]

export interface ApiProps {
  readonly handler: IFunction
  /** Each requires an API key and proxies to `handler`; every path gets one CORS preflight. */
  readonly routes: readonly Route[]
  readonly corsOrigin: string
  readonly rateLimit: number
  readonly burstLimit: number
  readonly monthlyQuota: number
  /** The stage's default method throttle (MethodSettings for every method), all callers together; the usage plan's is per key. */
  readonly stageRateLimit: number
  readonly stageBurstLimit: number
  /**
   * Create the regional API Gateway → CloudWatch Logs role (`AWS::ApiGateway::Account`). Access logging
   * needs it once per account and region; pass false where another stack already set it.
   */
  readonly createAccountRole: boolean
}

/**
 * REST API, stage `prd`: each route (`POST /objects` by default) requires an API key, the key belongs to a usage plan with
 * throttling and a monthly quota, the CORS preflight (`OPTIONS` on each path) answers without a key
 * (browsers never send custom headers on a preflight), and every request is access-logged. The stage
 * has a default throttle of its own for every method and all callers together, which also covers the
 * preflight and requests the usage plan does not see.
 *
 * The API key identifies a caller for the usage plan (throttling, quota); it is not authorization:
 * anyone holding the key can call. Authorize with IAM or an authorizer (see docs/deploy.md).
 */
export class Api extends Construct {
  readonly restApi: apigw.RestApi
  readonly apiKey: apigw.ApiKey
  readonly usagePlan: apigw.UsagePlan

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id)
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    })
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      description: 'valkey-s3-cache example API',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: props.createAccountRole,
      deployOptions: {
        stageName: STAGE_NAME,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
        // MethodSettings `/*/*`: every method of the stage (dataTraceEnabled stays false: no bodies in logs).
        throttlingRateLimit: props.stageRateLimit,
        throttlingBurstLimit: props.stageBurstLimit,
      },
    })

    if (props.routes.length === 0) throw new Error('routes: give the API at least one route')
    const methodsByPath = new Map<string, string[]>()
    for (const { path, method } of props.routes) {
      const key = path.replace(/^\/+|\/+$/g, '')
      methodsByPath.set(key, [...(methodsByPath.get(key) ?? []), method.toUpperCase()])
    }
    // One integration for all routes: allowTestInvoke false → one invoke permission per route, for this
    // stage only (no console test-invoke `*`).
    const integration = new apigw.LambdaIntegration(props.handler, { allowTestInvoke: false })
    for (const [path, methods] of methodsByPath) {
      const resource = this.restApi.root.resourceForPath(path)
      for (const method of methods) resource.addMethod(method, integration, { apiKeyRequired: true })
      // Added on the resource, not through defaultMethodOptions: a default apiKeyRequired would also
      // apply to this OPTIONS method, and a preflight that demands a key always fails.
      resource.addCorsPreflight({
        allowOrigins: [props.corsOrigin],
        allowMethods: [...methods, 'OPTIONS'],
        // If-None-Match: the handler answers a matching etag with 304, and browsers preflight that header.
        allowHeaders: ['Content-Type', 'X-Api-Key', 'If-None-Match'],
        maxAge: Duration.hours(1),
      })
    }

    this.apiKey = new apigw.ApiKey(this, 'ApiKey', {
      description: 'valkey-s3-cache example API key (value: aws apigateway get-api-key --include-value)',
      enabled: true,
    })
    this.usagePlan = new apigw.UsagePlan(this, 'UsagePlan', {
      description: 'valkey-s3-cache example API: throttling and monthly quota per key',
      apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      quota: { limit: props.monthlyQuota, period: apigw.Period.MONTH },
    })
    this.usagePlan.addApiKey(this.apiKey)
    // RestApi adds its own `Endpoint` output; the stack outputs `ApiUrl` instead (the same value), so
    // the CDK and SAM stacks have the same four outputs.
    this.restApi.node.tryRemoveChild('Endpoint')
  }
}
