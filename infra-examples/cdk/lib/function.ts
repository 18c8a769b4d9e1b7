import {
  Duration,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
} from 'aws-cdk-lib'
import type { IBucket } from 'aws-cdk-lib/aws-s3'
import { Construct } from 'constructs'
import type { Cache } from './cache'
import { type Architecture, type HandlerPackage, handlerCode, lambdaArchitecture } from './handler-code'

export interface ApiFunctionProps {
  readonly cache: Cache
  readonly bucket: IBucket
  readonly vpc: ec2.IVpc
  readonly securityGroup: ec2.ISecurityGroup
  readonly cacheTtl: string
  readonly corsOrigin: string
  /** The handler's code: an image (its CMD) or a zip (`index.handler`). */
  readonly handler: HandlerPackage
  readonly architecture: Architecture
  /** Variables of your own, added to the ones the example's handler reads (which they may not replace). */
  readonly environment?: Record<string, string>
}

/**
 * The API's Lambda (a container image or a zip) in the isolated subnets, configured only through
 * environment variables, with a role that can do exactly what the handler does and nothing else.
 */
export class ApiFunction extends Construct {
  readonly function: lambda.Function
  readonly role: iam.Role

  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    super(scope, id)
    const { cache } = props

    // Only AWSLambdaVPCAccessExecutionRole: the network interfaces a VPC function needs, and its logs.
    // That AWS-managed policy grants ec2:CreateNetworkInterface, DescribeNetworkInterfaces, … and
    // logs:CreateLogStream, PutLogEvents, … on Resource "*" (EC2 cannot scope those calls to a
    // resource); it is the only place a wildcard resource reaches this role.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'valkey-s3-cache example API',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
      ],
    })
    // Reads only: the handler loads objects (`getJson`) and never writes one, so no s3:PutObject (nor
    // any other write) reaches this role; tests fail on any S3 action beyond these two.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadObjects',
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects('*')],
      }),
    )
    // Without s3:ListBucket S3 answers a missing key with 403 AccessDenied, which the cache must report
    // as OriginError (502); with it, S3 answers 404 and the API says 404. It would also let
    // `cache.warm({ prefix })` list keys. It reveals key names only to this role, whose API never lists them.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'MissingKeysAre404',
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
      }),
    )

    // Connect as the application user: elasticache:Connect (IAM) or GetSecretValue on the password.
    cache.grantConnect(this.role)

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH, // LOG_RETENTION_DAYS
      removalPolicy: RemovalPolicy.DESTROY,
    })
    const environment = {
      BUCKET: props.bucket.bucketName,
      ...cache.clientEnvironment(),
      CACHE_TTL: props.cacheTtl,
      CORS_ORIGIN: props.corsOrigin,
    }
    const replaced = Object.keys(props.environment ?? {}).filter((name) => name in environment)
    if (replaced.length > 0)
      throw new Error(`environment: ${replaced.join(', ')} is set by the stack (see ApiFunction)`)
    this.function = new lambda.Function(this, 'Function', {
      description: 'valkey-s3-cache example API',
      ...handlerCode(props.handler, props.architecture, 'api'),
      architecture: lambdaArchitecture(props.architecture),
      memorySize: 1024,
      timeout: Duration.seconds(10),
      role: this.role,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      environment: { ...environment, ...props.environment },
      logGroup,
    })
  }
}
