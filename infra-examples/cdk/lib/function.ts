import {
  Duration,
  aws_ec2 as ec2,
  IgnoreMode,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
} from 'aws-cdk-lib'
import { Platform } from 'aws-cdk-lib/aws-ecr-assets'
import type { IBucket } from 'aws-cdk-lib/aws-s3'
import { Construct } from 'constructs'
import type { Cache } from './cache'
import { DOCKER_CONTEXT, DOCKER_EXCLUDE, DOCKERFILE } from './config'

export interface ApiFunctionProps {
  readonly cache: Cache
  readonly bucket: IBucket
  readonly vpc: ec2.IVpc
  readonly securityGroup: ec2.ISecurityGroup
  readonly cacheTtl: string
  readonly corsOrigin: string
  /** The image; defaults to building `examples/api/Dockerfile` (tests pass a small fixture instead). */
  readonly image?: lambda.DockerImageCode
}

/**
 * The image asset `cdk deploy` builds: examples/api/Dockerfile (see DOCKER_CONTEXT for why that context).
 * `cmd` overrides the image's CMD (`index.handler`, the API): the invalidator passes `invalidator.handler`.
 * Both functions then use one image, built and pushed once (the asset's hash does not depend on `cmd`).
 */
export function exampleApiImage(
  context = DOCKER_CONTEXT,
  file = DOCKERFILE,
  cmd?: string[],
): lambda.DockerImageCode {
  return lambda.DockerImageCode.fromImageAsset(context, {
    file,
    ...(cmd ? { cmd } : {}),
    exclude: DOCKER_EXCLUDE,
    ignoreMode: IgnoreMode.DOCKER,
    // The function runs on x86_64; building on an arm64 laptop must still produce an amd64 image.
    platform: Platform.LINUX_AMD64,
  })
}

/** Makes the image of each function from one Docker context: see `ValkeyS3CacheStackProps.image`. */
export type ImageFactory = (cmd?: string[]) => lambda.DockerImageCode

/** An `ImageFactory` over examples/api (or another context with the same Dockerfile, as the tests use). */
export const exampleApiImages =
  (context = DOCKER_CONTEXT): ImageFactory =>
  (cmd) =>
    exampleApiImage(context, DOCKERFILE, cmd)

/**
 * The example API as a container-image Lambda in the isolated subnets, configured only through
 * environment variables, with a role that can do exactly what the handler does and nothing else.
 */
export class ApiFunction extends Construct {
  readonly function: lambda.DockerImageFunction
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
    this.function = new lambda.DockerImageFunction(this, 'Function', {
      description: 'valkey-s3-cache example API (POST /objects)',
      code: props.image ?? exampleApiImage(),
      architecture: lambda.Architecture.X86_64,
      memorySize: 1024,
      timeout: Duration.seconds(10),
      role: this.role,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      environment: {
        BUCKET: props.bucket.bucketName,
        ...cache.clientEnvironment(),
        CACHE_TTL: props.cacheTtl,
        CORS_ORIGIN: props.corsOrigin,
      },
      logGroup,
    })
  }
}
