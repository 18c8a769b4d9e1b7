import {
  aws_elasticache as elasticache,
  aws_iam as iam,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib'
import type { ISecurityGroup, ISubnet } from 'aws-cdk-lib/aws-ec2'
import { Construct } from 'constructs'
import { accessString } from './access-string'
import { ENGINE, MAJOR_ENGINE_VERSION } from './config'

/** How the function authenticates to Valkey: an IAM token signed by its role, or a password it reads from Secrets Manager. */
export type AuthMode = 'iam' | 'password'

export interface CacheProps {
  readonly authMode: AuthMode
  /** Serverless cache name and user group ID; the application user is `<cacheName>-app`. */
  readonly cacheName: string
  /**
   * Every key the functions write starts with it (a token: the `KeyPrefix` parameter). It shapes the
   * user's access string (`~<prefix>*` and `&<prefix>*`, see access-string.ts) and reaches both functions as `CACHE_KEY_PREFIX`.
   */
  readonly keyPrefix: string
  readonly subnets: ISubnet[]
  readonly securityGroup: ISecurityGroup
  readonly maxDataStorageGb: number
  readonly maxEcpuPerSecond: number
}

/**
 * ElastiCache Serverless (Valkey 8) with role-based access control: one user group holding one
 * application user whose access string is the least-privilege ACL.
 *
 * These are L1 constructs on purpose: the L2 `ServerlessCache` / `User` / `UserGroup` live in
 * `@aws-cdk/aws-elasticache-alpha`, whose API may change in any release, and an example should keep
 * working with a plain `aws-cdk-lib` upgrade. The L1 props also map one-to-one onto the SAM template.
 */
export class Cache extends Construct {
  readonly serverlessCache: elasticache.CfnServerlessCache
  readonly user: elasticache.CfnUser
  readonly userGroup: elasticache.CfnUserGroup
  /** The user's ID and name (equal: IAM authentication requires it, and password mode keeps it so). */
  readonly userName: string
  /** Password mode only: the generated password, a plain SecretString (not JSON). */
  readonly passwordSecret?: secretsmanager.Secret
  readonly authMode: AuthMode
  readonly cacheName: string
  readonly keyPrefix: string

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id)
    this.userName = `${props.cacheName}-app`
    this.authMode = props.authMode
    this.cacheName = props.cacheName
    this.keyPrefix = props.keyPrefix

    // CfnUserProps.authenticationMode is typed `any`, so CDK passes it through unchanged: the keys
    // must be CloudFormation's (`Type`, `Passwords`), not the camelCase of AuthenticationModeProperty.
    let authenticationMode: { Type: 'iam' } | { Type: 'password'; Passwords: string[] }
    if (props.authMode === 'iam') {
      authenticationMode = { Type: 'iam' }
    } else {
      this.passwordSecret = new secretsmanager.Secret(this, 'UserPassword', {
        description: 'Password of the valkey-s3-cache application user (ElastiCache RBAC)',
        // 32 letters and digits: ElastiCache accepts 16-128 characters and rejects some punctuation,
        // and ~190 bits of entropy need none. The SecretString is the password itself.
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
      })
      authenticationMode = {
        Type: 'password',
        // A dynamic reference: CloudFormation resolves it at deploy time; the template never holds the value.
        Passwords: [this.passwordSecret.secretValue.unsafeUnwrap()],
      }
    }

    this.user = new elasticache.CfnUser(this, 'AppUser', {
      engine: ENGINE,
      userId: this.userName,
      userName: this.userName,
      accessString: accessString(props.keyPrefix),
      authenticationMode,
    })

    // Engine `valkey`: the group holds only the application user. A `redis` user group must contain a
    // user named `default`, but a `valkey` user group "can only contain users who are using an
    // authentication mechanism (either password or IAM)" and needs no `default` user (ElastiCache
    // User Guide, RBAC; the CloudFormation reference still repeats the redis-only rule). Without a
    // `default` user in the group, an unauthenticated connection can run nothing.
    this.userGroup = new elasticache.CfnUserGroup(this, 'UserGroup', {
      engine: ENGINE,
      userGroupId: props.cacheName,
      userIds: [this.userName],
    })
    this.userGroup.addResourceDependency(this.user)

    this.serverlessCache = new elasticache.CfnServerlessCache(this, 'ServerlessCache', {
      serverlessCacheName: props.cacheName,
      description: 'valkey-s3-cache: S3 objects cached for the example API',
      engine: ENGINE,
      majorEngineVersion: MAJOR_ENGINE_VERSION,
      subnetIds: props.subnets.map((subnet) => subnet.subnetId),
      securityGroupIds: [props.securityGroup.securityGroupId],
      userGroupId: props.cacheName,
      cacheUsageLimits: {
        dataStorage: { maximum: props.maxDataStorageGb, unit: 'GB' },
        ecpuPerSecond: { maximum: props.maxEcpuPerSecond },
      },
    })
    this.serverlessCache.addResourceDependency(this.userGroup)
  }

  /**
   * The environment variables with which examples/api (`configFromEnv`, for both of its handlers)
   * connects as the application user: TLS, cluster mode, an IAM token or the password's secret, and
   * the key prefix the user's ACL allows (the API and the invalidator must use the same one).
   */
  clientEnvironment(): Record<string, string> {
    const environment: Record<string, string> = {
      VALKEY_URL: `valkeys://${this.serverlessCache.attrEndpointAddress}:${this.serverlessCache.attrEndpointPort}`,
      VALKEY_CLUSTER: 'true',
      VALKEY_USERNAME: this.userName,
      CACHE_KEY_PREFIX: this.keyPrefix,
    }
    if (this.authMode === 'iam') {
      environment.VALKEY_IAM_USER_ID = this.userName
      environment.VALKEY_CACHE_NAME = this.cacheName
    } else {
      environment.VALKEY_PASSWORD_SECRET_ARN = this.secret().secretArn
    }
    return environment
  }

  /**
   * Lets a function's role connect as the application user, and nothing more: `elasticache:Connect` on
   * this cache and this user (IAM tokens are signed for that user on that cache), or, in password mode,
   * `secretsmanager:GetSecretValue` on the one secret (`Secret.grantRead` would add DescribeSecret,
   * which the handlers never call).
   */
  grantConnect(role: iam.IRole): void {
    const statement =
      this.authMode === 'iam'
        ? new iam.PolicyStatement({
            sid: 'ConnectAsTheAppUser',
            actions: ['elasticache:Connect'],
            resources: [this.serverlessCache.attrArn, this.user.attrArn],
          })
        : new iam.PolicyStatement({
            sid: 'ReadTheValkeyPassword',
            actions: ['secretsmanager:GetSecretValue'],
            resources: [this.secret().secretArn],
          })
    role.addToPrincipalPolicy(statement)
  }

  private secret(): secretsmanager.Secret {
    if (this.passwordSecret === undefined) throw new Error('password mode needs the cache to create a secret')
    return this.passwordSecret
  }
}
