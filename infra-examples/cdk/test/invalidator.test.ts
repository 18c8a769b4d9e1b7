import { Match } from 'aws-cdk-lib/assertions'
import { describe, expect, it } from 'vitest'
import {
  DEAD_LETTER_QUEUE_POLICY,
  INVALIDATOR_ASYNC_INVOKE,
  INVALIDATOR_STATEMENTS,
  INVOKE_PERMISSIONS,
  S3_CHANGE_RULE_PATTERN,
  S3_CHANGE_RULE_TARGET,
  SECURITY_GROUP_RULES,
} from './expected'
import { functions, labels, managedPolicyNames, roleStatements } from './facts'
import { securityFacts, securityGroupRules } from './security-facts'
import { AUTH_MODES, synth } from './synth'

describe.each(AUTH_MODES)('S3 event invalidator (%s)', (authMode) => {
  const { template, json } = synth(authMode)
  const facts = securityFacts(json)
  const names = labels(json)
  const idOf = (label: string) => Object.keys(names).find((id) => names[id] === label) as string

  it('has the bucket send its object changes to EventBridge, as a plain CloudFormation property', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    })
    // Not CDK's `eventBridgeEnabled: true`: that adds a custom resource with its own Lambda and role.
    template.resourceCountIs('Custom::S3BucketNotifications', 0)
    expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toHaveLength(2)
  })

  it('routes exactly Object Created and Object Deleted of this bucket to the invalidator', () => {
    template.resourceCountIs('AWS::Events::Rule', 1)
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: Match.exact({
        source: ['aws.s3'],
        'detail-type': ['Object Created', 'Object Deleted'],
        detail: { bucket: { name: [{ Ref: Match.stringLikeRegexp('^Bucket') }] } },
      }),
    })
    expect(facts.s3Events.rules).toEqual([
      {
        eventBus: 'default',
        state: 'ENABLED',
        pattern: S3_CHANGE_RULE_PATTERN,
        targets: [S3_CHANGE_RULE_TARGET],
      },
    ])
  })

  it('retries failed deliveries for up to an hour, then keeps them 14 days in an encrypted, TLS-only queue', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    })
    expect(facts.s3Events.deadLetterQueues).toEqual([
      { queue: 'deadLetterQueue', sseSqs: true, retentionSeconds: 1209600, policy: DEAD_LETTER_QUEUE_POLICY },
    ])
  })

  it('keeps invocations that fail after Lambda retries them: on-failure destination = the dead-letter queue', () => {
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1)
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: idOf('invalidator') },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: Match.exact({
        OnFailure: { Destination: { 'Fn::GetAtt': [idOf('deadLetterQueue'), 'Arn'] } },
      }),
    })
    expect(facts.s3Events.asyncInvoke).toEqual(INVALIDATOR_ASYNC_INVOKE)
    // Lambda sends the record with the function's role: it may send to this queue and do nothing else with it.
    const sqs = roleStatements(json, idOf('invalidatorRole')).filter((s) =>
      s.actions.some((a) => a.startsWith('sqs:')),
    )
    expect(sqs).toEqual([
      {
        sid: 'KeepFailedInvocations',
        effect: 'Allow',
        actions: ['sqs:SendMessage'],
        resources: ['deadLetterQueue.Arn'],
      },
    ])
    // Lambda checks that permission when the destination is configured: the role's policy comes first.
    const [, fn] = functions(json).invalidator ?? []
    expect(fn?.DependsOn).toContain(
      Object.keys(template.findResources('AWS::IAM::Policy')).find((id) =>
        JSON.stringify(json.Resources[id]).includes('sqs:SendMessage'),
      ),
    )
  })

  it('may be invoked by that rule only (events.amazonaws.com, SourceArn = the rule)', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map(
      (p) => p.Properties,
    )
    const invalidator = permissions.filter((p) => p.FunctionName['Fn::GetAtt'][0] === idOf('invalidator'))
    expect(invalidator).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [idOf('invalidator'), 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [idOf('invalidatorRule'), 'Arn'] },
      },
    ])
    expect(facts.invokePermissions).toEqual(INVOKE_PERMISSIONS)
  })

  it('runs the API image with the command invalidator.handler: 256 MB, 10 s, arm64, isolated subnets, its own group', () => {
    const { api, invalidator } = functions(json)
    expect(invalidator).toBeDefined()
    const props = invalidator?.[1].Properties ?? {}
    expect(props).toMatchObject({
      PackageType: 'Image',
      ImageConfig: { Command: ['invalidator.handler'] },
      MemorySize: 256,
      Timeout: 10,
      Architectures: ['arm64'],
      VpcConfig: {
        SecurityGroupIds: [{ 'Fn::GetAtt': [idOf('invalidatorSg'), 'GroupId'] }],
        SubnetIds: ((api[1].Properties?.VpcConfig ?? {}) as { SubnetIds?: unknown }).SubnetIds,
      },
    })
    // One image for both functions: the same asset, only the command differs.
    expect(props.Code).toEqual(api[1].Properties?.Code)
    expect(idOf('invalidatorSg')).not.toBe(idOf('functionSg'))
  })

  it('gets the cache connection in its environment, and no S3 settings beyond the bucket name', () => {
    const userName = { 'Fn::Join': ['', [{ Ref: 'CacheName' }, '-app']] }
    const byMode =
      authMode === 'iam'
        ? { VALKEY_IAM_USER_ID: userName, VALKEY_CACHE_NAME: { Ref: 'CacheName' } }
        : { VALKEY_PASSWORD_SECRET_ARN: { Ref: Match.stringLikeRegexp('UserPassword') } }
    template.hasResourceProperties('AWS::Lambda::Function', {
      ImageConfig: { Command: ['invalidator.handler'] },
      Environment: {
        Variables: Match.exact({
          BUCKET: { Ref: Match.stringLikeRegexp('^Bucket') },
          VALKEY_URL: Match.anyValue(),
          VALKEY_CLUSTER: 'true',
          VALKEY_USERNAME: userName,
          CACHE_KEY_PREFIX: { Ref: 'KeyPrefix' },
          ...byMode,
        }),
      },
    })
    // The same connection settings as the API's (the same user, the same cache, the same key prefix).
    const apiEnvironment = facts.function.environment as Record<string, unknown>
    const { CACHE_TTL: _ttl, CORS_ORIGIN: _cors, ...connection } = apiEnvironment
    expect(facts.invalidator?.environment).toEqual(connection)
  })

  it('has a role with AWSLambdaVPCAccessExecutionRole, the cache connection and the queue only: no S3 action at all', () => {
    const role = json.Resources[idOf('invalidatorRole')]
    expect(managedPolicyNames(role, names)).toEqual(['service-role/AWSLambdaVPCAccessExecutionRole'])
    expect(roleStatements(json, idOf('invalidatorRole'))).toEqual(INVALIDATOR_STATEMENTS[authMode])
    expect(JSON.stringify(roleStatements(json, idOf('invalidatorRole')))).not.toMatch(/"s3:/)
  })

  it('reaches the cache on 6379 and 6380 (and Secrets Manager in password mode), and nothing else', () => {
    const rules = securityGroupRules(json)
    const own = rules.filter((rule) => rule.includes('invalidatorSg'))
    expect(own).toEqual(SECURITY_GROUP_RULES[authMode].filter((rule) => rule.includes('invalidatorSg')))
    expect(own).toEqual(
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
