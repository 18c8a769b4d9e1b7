import { aws_ec2 as ec2, aws_iam as iam } from 'aws-cdk-lib'
import type { IBucket } from 'aws-cdk-lib/aws-s3'
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager'
import { Construct } from 'constructs'
import { CACHE_PORTS } from './config'

export interface NetworkProps {
  /** 2 or 3; the subnets (and so the function's ENIs and the cache's endpoints) span this many AZs. */
  readonly azCount: 2 | 3
  /** The one bucket the S3 gateway endpoint lets traffic reach. */
  readonly bucket: IBucket
  /** `pl-…` of `com.amazonaws.<region>.s3`, for the function's HTTPS egress rule. */
  readonly s3PrefixListId: string
  /** Password mode: add a Secrets Manager interface endpoint (the handler reads the password at cold start). */
  readonly secretsEndpoint: boolean
}

/**
 * A VPC with private isolated subnets only: no internet gateway, no NAT (and no NAT bill). The
 * function reaches S3 through a gateway endpoint, the cache through its VPC endpoint, and, in password
 * mode, Secrets Manager through an interface endpoint. Every security group starts with no egress.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc
  readonly functionSecurityGroup: ec2.SecurityGroup
  /** The S3-event invalidator's group: it reaches the cache (and, in password mode, Secrets Manager), never S3. */
  readonly invalidatorSecurityGroup: ec2.SecurityGroup
  readonly cacheSecurityGroup: ec2.SecurityGroup
  readonly s3Endpoint: ec2.GatewayVpcEndpoint
  readonly secretsManagerEndpoint?: ec2.InterfaceVpcEndpoint

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id)
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.azCount,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      // Restricting the default security group needs a custom-resource Lambda (outside the VPC, with
      // ec2:Revoke* rights); nothing here uses the default group, and the SAM template cannot do it
      // without the same custom resource, so both leave it as AWS creates it (self-referencing only).
      restrictDefaultSecurityGroup: false,
    })
    const subnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }

    // allowAllOutbound: false. The function's egress rules all end up as AWS::EC2::SecurityGroupEgress
    // resources (their peers are a group and a parameter), and adding one removes the allow-all rule
    // EC2 puts on a new group; the cache's and endpoint's groups keep CDK's match-nothing rule instead.
    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'valkey-s3-cache Lambda: egress to the cache and to S3 (and Secrets Manager) only',
      allowAllOutbound: false,
    })
    // Its egress rules too are AWS::EC2::SecurityGroupEgress resources (all to other groups).
    this.invalidatorSecurityGroup = new ec2.SecurityGroup(this, 'InvalidatorSecurityGroup', {
      vpc: this.vpc,
      description: 'valkey-s3-cache invalidator Lambda: egress to the cache (and Secrets Manager) only',
      allowAllOutbound: false,
    })
    this.cacheSecurityGroup = new ec2.SecurityGroup(this, 'CacheSecurityGroup', {
      vpc: this.vpc,
      description: 'valkey-s3-cache ElastiCache Serverless: Valkey ports from the Lambda only',
      allowAllOutbound: false,
    })
    // allowFrom writes both sides: ingress on the cache's group, egress on the function's (and the
    // invalidator's) group. The cache group's description still says "from the Lambda": changing a
    // GroupDescription would replace the group in deployed stacks.
    for (const port of CACHE_PORTS) {
      this.cacheSecurityGroup.connections.allowFrom(
        this.functionSecurityGroup,
        ec2.Port.tcp(port),
        port === 6379 ? 'Valkey (TLS) from the Lambda' : 'Valkey reader endpoint (TLS) from the Lambda',
      )
      this.cacheSecurityGroup.connections.allowFrom(
        this.invalidatorSecurityGroup,
        ec2.Port.tcp(port),
        port === 6379
          ? 'Valkey (TLS) from the invalidator'
          : 'Valkey reader endpoint (TLS) from the invalidator',
      )
    }
    this.functionSecurityGroup.addEgressRule(
      ec2.Peer.prefixList(props.s3PrefixListId),
      ec2.Port.tcp(443),
      'HTTPS to S3 through the gateway endpoint',
    )

    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3Endpoint', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [subnets],
    })
    // Endpoint policies must name a principal; `*` here is narrowed by the actions and resources (the
    // function's role still needs its own grants). Only this bucket is reachable from the VPC, and only
    // to read it: nothing in the VPC writes to S3.
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheCacheBucket',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:ListBucket'],
        resources: [props.bucket.bucketArn, props.bucket.arnForObjects('*')],
      }),
    )

    if (props.secretsEndpoint) {
      const endpointSecurityGroup = new ec2.SecurityGroup(this, 'SecretsManagerEndpointSecurityGroup', {
        vpc: this.vpc,
        description: 'Secrets Manager interface endpoint: HTTPS from the Lambda only',
        allowAllOutbound: false,
      })
      endpointSecurityGroup.connections.allowFrom(
        this.functionSecurityGroup,
        ec2.Port.tcp(443),
        'HTTPS from the Lambda',
      )
      endpointSecurityGroup.connections.allowFrom(
        this.invalidatorSecurityGroup,
        ec2.Port.tcp(443),
        'HTTPS from the invalidator',
      )
      this.secretsManagerEndpoint = this.vpc.addInterfaceEndpoint('SecretsManagerEndpoint', {
        service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
        subnets,
        privateDnsEnabled: true,
        securityGroups: [endpointSecurityGroup],
        // `open: true` (the default) would admit the whole VPC CIDR on 443.
        open: false,
      })
    }
  }

  /** Password mode: the Secrets Manager endpoint serves GetSecretValue for this one secret and nothing else. */
  allowSecret(secret: ISecret): void {
    this.secretsManagerEndpoint?.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheValkeyPassword',
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretArn],
      }),
    )
  }
}
