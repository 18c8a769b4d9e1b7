import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ACCESS_LOG_FORMAT } from '../../cdk/lib/config'
import {
  DEAD_LETTER_QUEUE_POLICY,
  documentedAccessString,
  FUNCTION_STATEMENTS,
  INVALIDATOR_ASYNC_INVOKE,
  INVALIDATOR_STATEMENTS,
  INVOKE_PERMISSIONS,
  S3_CHANGE_RULE_PATTERN,
  S3_CHANGE_RULE_TARGET,
  S3_GRANTS,
  S3_READ_ACTIONS,
  SECURITY_GROUP_RULES,
  STAGE_METHOD_SETTINGS,
} from '../../cdk/test/expected'
import {
  functions,
  labels,
  managedPolicyNames,
  only,
  resourcesOfType,
  roleStatements,
  statements,
} from '../../cdk/test/facts'
import {
  s3Grants,
  securityFacts,
  securityGroupRules,
  wildcardViolations,
} from '../../cdk/test/security-facts'
import { loadTemplate, resolveConditions, TEMPLATE_PATH } from './cfn'

const raw = loadTemplate()
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string, not a JS template
const PASSWORD_REFERENCE = '{{resolve:secretsmanager:${UserPassword}:SecretString:::}}'
const props = (template: ReturnType<typeof resolveConditions>, type: string) =>
  only(template, type)[1].Properties ?? {}

describe('template.yaml', () => {
  it('parses with CloudFormation short-form tags into their long forms', () => {
    const text = readFileSync(TEMPLATE_PATH, 'utf8')
    for (const tag of ['!Ref', '!GetAtt', '!Sub', '!If', '!Equals', '!Select', '!GetAZs'])
      expect(text).toContain(`${tag} `)
    expect(raw.Transform).toBe('AWS::Serverless-2016-10-31')
    expect(raw.Resources.Subnet1?.Properties?.AvailabilityZone).toEqual({
      'Fn::Select': [0, { 'Fn::GetAZs': '' }],
    })
    expect(raw.Resources.ServerlessCache?.Properties?.CacheUsageLimits).toEqual({
      DataStorage: { Maximum: { Ref: 'MaxDataStorageGB' }, Unit: 'GB' },
      ECPUPerSecond: { Maximum: { Ref: 'MaxEcpuPerSecond' } },
    })
    expect(raw.Resources.ServerlessCache?.Properties?.SubnetIds).toEqual([
      { Ref: 'Subnet1' },
      { Ref: 'Subnet2' },
      { 'Fn::If': ['ThreeAzs', { Ref: 'Subnet3' }, { Ref: 'AWS::NoValue' }] },
    ])
  })

  it('builds the invalidator from the same image, with the command invalidator.handler', () => {
    const api = raw.Resources.ApiFunction
    const invalidator = raw.Resources.InvalidatorFunction
    expect(invalidator?.Type).toBe('AWS::Serverless::Function')
    expect(invalidator?.Metadata).toEqual(api?.Metadata)
    expect(invalidator?.Properties?.ImageConfig).toEqual({ Command: ['invalidator.handler'] })
    expect(api?.Properties?.ImageConfig).toBeUndefined() // the image's CMD: index.handler
  })

  it('builds the image from examples/api/Dockerfile with sam build', () => {
    const fn = raw.Resources.ApiFunction
    expect(fn?.Type).toBe('AWS::Serverless::Function')
    expect(fn?.Properties?.PackageType).toBe('Image')
    const metadata = fn?.Metadata as { DockerContext: string; Dockerfile: string }
    const context = join(dirname(TEMPLATE_PATH), metadata.DockerContext)
    expect(context).toMatch(/examples\/api$/)
    expect(existsSync(join(context, 'package.json'))).toBe(true)
    expect(metadata.Dockerfile).toBe('Dockerfile')
  })

  it('gives the user the ```acl access string of docs/security.md, its key and channel patterns from KeyPrefix', () => {
    const access = raw.Resources.AppUser?.Properties?.AccessString as { 'Fn::Sub': string }
    expect(access['Fn::Sub']).toMatch(/^on ~\$\{KeyPrefix\}\* resetchannels &\$\{KeyPrefix\}\* -@all /)
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string, not a JS template
    const deployed = (prefix: string) => access['Fn::Sub'].replaceAll('${KeyPrefix}', prefix)
    expect(raw.Parameters?.KeyPrefix?.Default).toBe('s3c:')
    expect(deployed('s3c:')).toBe(documentedAccessString())
    expect(deployed('app1:')).toBe(
      documentedAccessString().replace('~s3c:*', '~app1:*').replace('&s3c:*', '&app1:*'),
    )
  })

  it('gives every function the same KeyPrefix as CACHE_KEY_PREFIX, and the Architecture parameter', () => {
    const fns = resourcesOfType(raw, 'AWS::Serverless::Function')
    expect(fns.map(([id]) => id).sort()).toEqual([
      'ApiFunction',
      'ApiZipFunction',
      'InvalidatorFunction',
      'InvalidatorZipFunction',
    ])
    for (const [, fn] of fns) {
      const environment = fn.Properties?.Environment as { Variables: Record<string, unknown> }
      expect(environment.Variables.CACHE_KEY_PREFIX).toEqual({ Ref: 'KeyPrefix' })
      expect(fn.Properties?.Architectures).toEqual([{ Ref: 'Architecture' }])
    }
    expect(raw.Parameters?.Architecture).toMatchObject({
      Default: 'arm64',
      AllowedValues: ['arm64', 'x86_64'],
    })
  })

  it('has a zip path beside the image path: the prebuilt bundles of examples/api/dist on nodejs22.x', () => {
    const zip = resolveConditions(raw, { Package: 'zip' })
    const { api, invalidator } = functions(zip)
    expect(api[0]).toBe('ApiZipFunction')
    expect(invalidator?.[0]).toBe('InvalidatorZipFunction')
    for (const fn of [api[1], invalidator?.[1]]) {
      expect(fn?.Properties).toMatchObject({ CodeUri: '../../examples/api/dist', Runtime: 'nodejs22.x' })
      expect(fn?.Properties?.PackageType).toBeUndefined()
      expect((fn as { Metadata?: unknown } | undefined)?.Metadata).toEqual({ SkipBuild: true })
    }
    expect(api[1].Properties?.Handler).toBe('index.handler')
    expect(invalidator?.[1].Properties?.Handler).toBe('invalidator.handler')
    // Everything that pointed at the image functions points at these instead.
    const text = JSON.stringify(zip.Resources)
    expect(text).not.toMatch(/"(ApiFunction|InvalidatorFunction)\b/)
    expect(
      resourcesOfType(resolveConditions(raw), 'AWS::Serverless::Function')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['ApiFunction', 'InvalidatorFunction'])
  })

  it('logs API access in the same JSON format as the CDK stack', () => {
    const stage = raw.Resources.Stage?.Properties as { AccessLogSetting: { Format: string } }
    expect(stage.AccessLogSetting.Format).toBe(ACCESS_LOG_FORMAT)
  })

  it('spans two AZs when AzCount is 2', () => {
    const template = resolveConditions(raw, { AzCount: '2', S3PrefixListId: 'pl-1' })
    expect(resourcesOfType(template, 'AWS::EC2::Subnet')).toHaveLength(2)
    expect(props(template, 'AWS::ElastiCache::ServerlessCache').SubnetIds).toEqual([
      { Ref: 'Subnet1' },
      { Ref: 'Subnet2' },
    ])
  })
})

describe.each(['iam', 'password'] as const)('template.yaml with AuthMode=%s', (authMode) => {
  const template = resolveConditions(raw, { AuthMode: authMode })
  const names = labels(template)

  it('has exactly the expected security group rules, and no ingress from an address range', () => {
    expect(securityGroupRules(template)).toEqual(SECURITY_GROUP_RULES[authMode])
    expect(
      securityGroupRules(template).filter((rule) => rule.startsWith('ingress') && /\d+\/\d+$/.test(rule)),
    ).toEqual([])
  })

  it('is ElastiCache Serverless, Valkey 8, with one IAM or password user in a valkey user group', () => {
    expect(props(template, 'AWS::ElastiCache::ServerlessCache')).toMatchObject({
      Engine: 'valkey',
      MajorEngineVersion: '8',
      UserGroupId: { Ref: 'CacheName' },
    })
    expect(props(template, 'AWS::ElastiCache::UserGroup')).toEqual({
      Engine: 'valkey',
      UserGroupId: { Ref: 'CacheName' },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub, not a JS template
      UserIds: [{ 'Fn::Sub': '${CacheName}-app' }],
    })
    const user = props(template, 'AWS::ElastiCache::User')
    expect(user.UserId).toEqual(user.UserName)
    expect(user.AuthenticationMode).toEqual(
      authMode === 'iam'
        ? { Type: 'iam' }
        : {
            Type: 'password',
            Passwords: [{ 'Fn::Sub': PASSWORD_REFERENCE }],
          },
    )
    expect(resourcesOfType(template, 'AWS::SecretsManager::Secret')).toHaveLength(authMode === 'iam' ? 0 : 1)
  })

  it('gives the function role only AWSLambdaVPCAccessExecutionRole and exactly the handler’s actions', () => {
    const roleId = Object.keys(names).find((id) => names[id] === 'functionRole') as string
    expect(managedPolicyNames(template.Resources[roleId], names)).toEqual([
      'service-role/AWSLambdaVPCAccessExecutionRole',
    ])
    expect(roleStatements(template, roleId)).toEqual(FUNCTION_STATEMENTS[authMode])
  })

  it('requires the API key on POST /objects and not on the OPTIONS preflight', () => {
    const methods = resourcesOfType(template, 'AWS::ApiGateway::Method').map(([, m]) => m.Properties ?? {})
    expect(methods.map((m) => [m.HttpMethod, m.ApiKeyRequired, m.AuthorizationType]).sort()).toEqual([
      ['OPTIONS', false, 'NONE'],
      ['POST', true, 'NONE'],
    ])
    expect(props(template, 'AWS::ApiGateway::Stage').StageName).toBe('prd')
    expect(props(template, 'AWS::ApiGateway::UsagePlan')).toMatchObject({
      Throttle: { BurstLimit: { Ref: 'ApiBurstLimit' }, RateLimit: { Ref: 'ApiRateLimit' } },
      Quota: { Limit: { Ref: 'ApiMonthlyQuota' }, Period: 'MONTH' },
    })
  })

  it('throttles every method of the stage by default, for all callers together, besides the usage plan', () => {
    expect(props(template, 'AWS::ApiGateway::Stage').MethodSettings).toEqual([
      {
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: { Ref: 'ApiStageRateLimit' },
        ThrottlingBurstLimit: { Ref: 'ApiStageBurstLimit' },
        DataTraceEnabled: false,
      },
    ])
    expect(securityFacts(template).api.methodSettings).toEqual(STAGE_METHOD_SETTINGS)
    const parameters = raw.Parameters ?? {}
    expect(parameters.ApiStageRateLimit).toMatchObject({ Type: 'Number', Default: 100 })
    expect(parameters.ApiStageBurstLimit).toMatchObject({ Type: 'Number', Default: 200 })
    expect(Number(parameters.ApiStageRateLimit?.Default)).toBeGreaterThanOrEqual(
      Number(parameters.ApiRateLimit?.Default),
    )
    expect(Number(parameters.ApiStageBurstLimit?.Default)).toBeGreaterThanOrEqual(
      Number(parameters.ApiBurstLimit?.Default),
    )
  })

  it('limits the S3 gateway endpoint to reading the bucket, and adds Secrets Manager only in password mode', () => {
    const endpoints = resourcesOfType(template, 'AWS::EC2::VPCEndpoint').map(([, e]) => e.Properties ?? {})
    expect(endpoints.map((e) => e.VpcEndpointType).sort()).toEqual(
      authMode === 'iam' ? ['Gateway'] : ['Gateway', 'Interface'],
    )
    const gateway = endpoints.find((e) => e.VpcEndpointType === 'Gateway')
    expect(statements(gateway?.PolicyDocument, names)).toEqual([
      {
        sid: 'OnlyTheCacheBucket',
        effect: 'Allow',
        actions: ['s3:GetObject', 's3:ListBucket'],
        resources: ['bucket.Arn', 'bucket.Arn/*'],
      },
    ])
  })

  it('grants S3 reads only (GetObject, ListBucket), to the API function and through the endpoint: no write', () => {
    const grants = s3Grants(template)
    expect(grants).toEqual(S3_GRANTS)
    const actions = new Set(grants.map((line) => line.split(' ')[1]))
    expect([...actions].filter((action) => !S3_READ_ACTIONS.includes(String(action)))).toEqual([])
    expect(JSON.stringify(raw.Resources)).not.toMatch(/"s3:(Put|Delete|Restore|Abort|Replicate)/)
  })

  it('keeps the bucket private, encrypted, versioned and TLS-only', () => {
    expect(props(template, 'AWS::S3::Bucket')).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
    })
    expect(props(template, 'AWS::S3::BucketPolicy').PolicyDocument).toMatchObject({
      Statement: [
        { Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      ],
    })
  })

  it('allows no wildcard action, resource or principal beyond what AWS requires', () => {
    expect(wildcardViolations(template)).toEqual([])
  })

  describe('the S3 event invalidator', () => {
    const facts = securityFacts(template)
    const idOf = (label: string) => Object.keys(names).find((id) => names[id] === label) as string

    it('has the bucket send its events to EventBridge', () => {
      expect(props(template, 'AWS::S3::Bucket').NotificationConfiguration).toEqual({
        EventBridgeConfiguration: { EventBridgeEnabled: true },
      })
    })

    it("routes the bucket's Object Created and Object Deleted events to it, with retries and a dead-letter queue", () => {
      expect(props(template, 'AWS::Events::Rule').EventPattern).toEqual({
        source: ['aws.s3'],
        'detail-type': ['Object Created', 'Object Deleted'],
        detail: { bucket: { name: [{ Ref: 'Bucket' }] } },
      })
      expect(facts.s3Events.rules).toEqual([
        {
          eventBus: 'default',
          state: 'ENABLED',
          pattern: S3_CHANGE_RULE_PATTERN,
          targets: [S3_CHANGE_RULE_TARGET],
        },
      ])
      expect(facts.s3Events.deadLetterQueues).toEqual([
        {
          queue: 'deadLetterQueue',
          sseSqs: true,
          retentionSeconds: 1209600,
          policy: DEAD_LETTER_QUEUE_POLICY,
        },
      ])
    })

    it('keeps invocations that fail after Lambda retries them: on-failure destination = the dead-letter queue', () => {
      expect(props(template, 'AWS::Lambda::EventInvokeConfig')).toEqual({
        FunctionName: { Ref: 'InvalidatorFunction' },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': ['InvalidatorDeadLetterQueue', 'Arn'] } },
        },
      })
      expect(facts.s3Events.asyncInvoke).toEqual(INVALIDATOR_ASYNC_INVOKE)
      // Lambda sends the record with the function's role (the queue policy admits only EventBridge).
      expect(
        roleStatements(template, idOf('invalidatorRole')).filter((s) =>
          s.actions.some((a) => a.startsWith('sqs:')),
        ),
      ).toEqual([
        {
          sid: 'KeepFailedInvocations',
          effect: 'Allow',
          actions: ['sqs:SendMessage'],
          resources: ['deadLetterQueue.Arn'],
        },
      ])
      // Not the function's EventInvokeConfig property: the SAM transform would write the same resource,
      // but only this one is in the template the tests read.
      expect(raw.Resources.InvalidatorFunction?.Properties?.EventInvokeConfig).toBeUndefined()
    })

    it('may be invoked by that rule only', () => {
      const invalidatorPermissions = resourcesOfType(template, 'AWS::Lambda::Permission')
        .map(([, p]) => p.Properties ?? {})
        .filter(
          (p) =>
            JSON.stringify(p.FunctionName) ===
            JSON.stringify({ 'Fn::GetAtt': ['InvalidatorFunction', 'Arn'] }),
        )
      expect(invalidatorPermissions).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': ['InvalidatorFunction', 'Arn'] },
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': ['InvalidatorRule', 'Arn'] },
        },
      ])
      expect(facts.invokePermissions).toEqual(INVOKE_PERMISSIONS)
    })

    it('runs with 256 MB and 10 s in the isolated subnets, with its own security group', () => {
      const [id, fn] = functions(template).invalidator ?? []
      expect(id).toBe('InvalidatorFunction')
      expect(fn?.Properties).toMatchObject({
        PackageType: 'Image',
        MemorySize: 256,
        Timeout: 10,
        Architectures: ['arm64'],
        VpcConfig: {
          SecurityGroupIds: [{ 'Fn::GetAtt': ['InvalidatorSecurityGroup', 'GroupId'] }],
          SubnetIds: [{ Ref: 'Subnet1' }, { Ref: 'Subnet2' }, { Ref: 'Subnet3' }],
        },
      })
    })

    it('has a role with AWSLambdaVPCAccessExecutionRole, the cache connection and the queue only: no S3 action at all', () => {
      const roleId = idOf('invalidatorRole')
      expect(roleId).toBe('InvalidatorRole')
      expect(managedPolicyNames(template.Resources[roleId], names)).toEqual([
        'service-role/AWSLambdaVPCAccessExecutionRole',
      ])
      expect(roleStatements(template, roleId)).toEqual(INVALIDATOR_STATEMENTS[authMode])
      expect(JSON.stringify(template.Resources[roleId])).not.toMatch(/"s3:/)
    })

    it('reaches the cache on 6379 and 6380 (and Secrets Manager in password mode), and nothing else', () => {
      expect(securityGroupRules(template).filter((rule) => rule.includes('invalidatorSg'))).toEqual(
        [
          'egress invalidatorSg tcp 6379-6379 cacheSg',
          'egress invalidatorSg tcp 6380-6380 cacheSg',
          'ingress cacheSg tcp 6379-6379 invalidatorSg',
          'ingress cacheSg tcp 6380-6380 invalidatorSg',
          ...(authMode === 'password'
            ? ['egress invalidatorSg tcp 443-443 endpointSg', 'ingress endpointSg tcp 443-443 invalidatorSg']
            : []),
        ].sort(),
      )
    })
  })
})
