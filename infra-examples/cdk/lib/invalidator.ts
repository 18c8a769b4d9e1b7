import {
  Duration,
  aws_ec2 as ec2,
  aws_events as events,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib'
import type { IBucket } from 'aws-cdk-lib/aws-s3'
import { Construct } from 'constructs'
import type { Cache } from './cache'
import {
  DEAD_LETTER_RETENTION_DAYS,
  INVALIDATOR_ASYNC_INVOKE,
  INVALIDATOR_MEMORY_MB,
  INVALIDATOR_RETRY,
  INVALIDATOR_TIMEOUT_SECONDS,
  S3_CHANGE_PATTERN,
} from './config'
import { type Architecture, type HandlerPackage, handlerCode, lambdaArchitecture } from './handler-code'

export interface InvalidatorProps {
  readonly cache: Cache
  /** The bucket whose object changes remove cache entries; it must send its events to EventBridge. */
  readonly bucket: IBucket
  readonly vpc: ec2.IVpc
  /** Its own group: egress to the cache's ports (and the Secrets Manager endpoint) only. */
  readonly securityGroup: ec2.ISecurityGroup
  /** The API's package: the same image with the command `invalidator.handler`, or the same zip with that handler. */
  readonly handler: HandlerPackage
  readonly architecture: Architecture
}

/**
 * Keeps the cache coherent with writes made outside the API (the console, `aws s3 cp`, other
 * services, lifecycle rules): S3 sends each object change to EventBridge, a rule matching this bucket's
 * `Object Created` and `Object Deleted` events invokes this function, and the function removes the
 * object's entry (examples/api/src/invalidator.ts: `s3EventInvalidator` from `@valkey-s3-cache/middy`).
 *
 * Failures are kept: events EventBridge could not deliver, and invocations that still failed after
 * Lambda's retries (the on-failure destination of the function's `EventInvokeConfig`), both end in one
 * dead-letter queue.
 *
 * Least privilege: the role can write its logs, manage its network interfaces, connect as the
 * application user (elasticache:Connect, or GetSecretValue on the password) and send to the dead-letter
 * queue. It has no S3 permission at all (the handler never loads objects: no `refresh`), and only this
 * rule may invoke it.
 */
export class Invalidator extends Construct {
  readonly function: lambda.Function
  readonly role: iam.Role
  readonly rule: events.Rule
  readonly deadLetterQueue: sqs.Queue

  constructor(scope: Construct, id: string, props: InvalidatorProps) {
    super(scope, id)
    const { cache } = props

    // As for the API: AWSLambdaVPCAccessExecutionRole (ENIs and logs; its EC2 actions cannot be scoped
    // to a resource, so that AWS-managed policy says Resource "*"), plus the cache connection.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'valkey-s3-cache invalidator (S3 events remove cache entries)',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
      ],
    })
    cache.grantConnect(this.role)

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH, // LOG_RETENTION_DAYS
      removalPolicy: RemovalPolicy.DESTROY,
    })
    this.function = new lambda.Function(this, 'Function', {
      description: 'valkey-s3-cache invalidator: removes the cache entries of changed S3 objects',
      ...handlerCode(props.handler, props.architecture, 'invalidator'),
      architecture: lambdaArchitecture(props.architecture),
      memorySize: INVALIDATOR_MEMORY_MB,
      timeout: Duration.seconds(INVALIDATOR_TIMEOUT_SECONDS),
      role: this.role,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      // BUCKET only selects which events apply (other buckets' are ignored); nothing reads the bucket.
      environment: { BUCKET: props.bucket.bucketName, ...cache.clientEnvironment() },
      logGroup,
    })

    // Events EventBridge could not deliver, and records of invocations that failed. EventBridge sends
    // under the queue policy (the target adds that statement, with aws:SourceArn = the rule), Lambda
    // under the function's role (below); anyone else is refused, and everyone without TLS.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
    })

    // The on-failure destination of asynchronous invocations: after the retries, Lambda sends an
    // invocation record (the event as `requestPayload`, the error as `responsePayload`) to the queue
    // instead of dropping the event. Lambda sends it with the function's role, which needs exactly
    // sqs:SendMessage on the queue (`SqsDestination` would also grant GetQueueAttributes and GetQueueUrl).
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'KeepFailedInvocations',
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
      }),
    )
    const queueArn = this.deadLetterQueue.queueArn
    this.function.configureAsyncInvoke({
      onFailure: { bind: () => ({ destination: queueArn }) },
      retryAttempts: INVALIDATOR_ASYNC_INVOKE.maximumRetryAttempts,
      maxEventAge: Duration.seconds(INVALIDATOR_ASYNC_INVOKE.maximumEventAgeSeconds),
    })

    this.rule = new events.Rule(this, 'Rule', {
      description: 'valkey-s3-cache: object changes in the bucket, to the invalidator',
      eventPattern: { ...S3_CHANGE_PATTERN, detail: { bucket: { name: [props.bucket.bucketName] } } },
    })
    // Adds the AWS::Lambda::Permission: principal events.amazonaws.com, SourceArn = this rule.
    this.rule.addTarget(
      new targets.LambdaFunction(this.function, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: INVALIDATOR_RETRY.maximumRetryAttempts,
        maxEventAge: Duration.seconds(INVALIDATOR_RETRY.maximumEventAgeSeconds),
      }),
    )
  }
}
