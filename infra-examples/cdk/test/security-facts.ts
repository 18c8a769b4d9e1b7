import {
  type CfnTemplate,
  canon,
  functions,
  type Json,
  labels,
  managedPolicyNames,
  only,
  resourcePolicyStatements,
  resourcesOfType,
  roleStatements,
  statements,
} from './facts'

type Rule = Record<string, Json>
const statementsOf = (document: Json | undefined): Json[] => {
  const statement = (document as Record<string, Json> | undefined)?.Statement
  return statement === undefined ? [] : Array.isArray(statement) ? statement : [statement]
}

/** Every security group rule as one line: `ingress cacheSg tcp 6379-6379 functionSg`. */
export function securityGroupRules(template: CfnTemplate): string[] {
  const names = labels(template)
  const line = (direction: string, group: Json, rule: Rule) => {
    const peer =
      rule.SourceSecurityGroupId ??
      rule.DestinationSecurityGroupId ??
      rule.SourcePrefixListId ??
      rule.DestinationPrefixListId ??
      rule.CidrIp ??
      rule.CidrIpv6
    return `${direction} ${canon(group, names)} ${rule.IpProtocol} ${rule.FromPort}-${rule.ToPort} ${canon(peer, names)}`
  }
  const rules: string[] = []
  for (const [id, group] of resourcesOfType(template, 'AWS::EC2::SecurityGroup')) {
    for (const rule of (group.Properties?.SecurityGroupIngress ?? []) as Rule[])
      rules.push(line('ingress', { Ref: id }, rule))
    for (const rule of (group.Properties?.SecurityGroupEgress ?? []) as Rule[])
      rules.push(line('egress', { Ref: id }, rule))
  }
  for (const [direction, type] of [
    ['ingress', 'AWS::EC2::SecurityGroupIngress'],
    ['egress', 'AWS::EC2::SecurityGroupEgress'],
  ] as const) {
    for (const [, rule] of resourcesOfType(template, type)) {
      const props = rule.Properties ?? {}
      rules.push(line(direction, props.GroupId ?? null, props))
    }
  }
  return rules.map((rule) => rule.replace(/\.GroupId/g, '')).sort()
}

/**
 * Every S3 action an `Allow` statement grants anywhere in the template, as `<who> <action> <resources>`
 * lines: roles by label (inline `Policies` and `AWS::IAM::Policy` alike), other policies (the gateway
 * endpoint's) by resource type. Denies (the bucket's TLS rule) are left out. A write grant, `s3:*` or
 * `s3:Put*` shows up here and fails the tests that compare this list with the reads the handler needs.
 */
export function s3Grants(template: CfnTemplate): string[] {
  const names = labels(template)
  const documents: [string, Json | undefined][] = []
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties ?? {}
    if (resource.Type === 'AWS::IAM::Policy') {
      const roles = [props.Roles ?? []].flat().map((role) => String(canon(role, names)))
      documents.push([roles.join(','), props.PolicyDocument])
    } else if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of [props.Policies ?? []].flat() as Record<string, Json>[])
        documents.push([names[id] ?? id, policy.PolicyDocument])
    } else if (props.PolicyDocument !== undefined) documents.push([resource.Type, props.PolicyDocument])
  }
  const lines: string[] = []
  for (const [who, document] of documents) {
    for (const statement of statementsOf(document) as Record<string, Json>[]) {
      if (statement.Effect !== 'Allow') continue
      const resources = [canon(statement.Resource, names)].flat().map(String).sort().join(',')
      for (const action of [statement.Action ?? []].flat().map(String))
        if (action === '*' || action.toLowerCase().startsWith('s3:'))
          lines.push(`${who} ${action} ${resources}`)
    }
  }
  return lines.sort()
}

/** The facts both stacks must agree on, for one auth mode. */
export function securityFacts(template: CfnTemplate) {
  const names = labels(template)
  const props = (type: string | string[]) => only(template, type)[1].Properties ?? {}
  const c = (value: Json | undefined) => canon(value, names)

  const user = props('AWS::ElastiCache::User')
  const group = props('AWS::ElastiCache::UserGroup')
  const cache = props('AWS::ElastiCache::ServerlessCache')
  const { api, invalidator } = functions(template)
  const fn = api[1].Properties ?? {}
  const role = (label: string) => {
    const [roleId, resource] = Object.entries(template.Resources).find(([id]) => names[id] === label) ?? []
    return {
      managedPolicies: managedPolicyNames(resource, names),
      statements: roleId === undefined ? [] : roleStatements(template, roleId),
    }
  }
  const lambda = (props: Record<string, Json>) => {
    const vpc = (props.VpcConfig ?? {}) as Record<string, Json>
    return {
      // Zip is the default PackageType: CDK leaves it out, and so does the SAM template.
      packageType: props.PackageType ?? 'Zip',
      handler: props.Handler ?? null,
      runtime: props.Runtime ?? null,
      memorySize: props.MemorySize,
      timeout: props.Timeout,
      architectures: props.Architectures,
      command: c(((props.ImageConfig ?? {}) as Record<string, Json>).Command ?? null),
      environment: c((props.Environment as Record<string, Json>).Variables),
      securityGroups: c(vpc.SecurityGroupIds),
      subnets: (vpc.SubnetIds as Json[]).length,
    }
  }
  const bucket = props('AWS::S3::Bucket')
  const stage = props('AWS::ApiGateway::Stage')
  const plan = props('AWS::ApiGateway::UsagePlan')

  return {
    securityGroupRules: securityGroupRules(template),
    user: {
      engine: user.Engine,
      userId: c(user.UserId),
      userName: c(user.UserName),
      accessString: c(user.AccessString),
      authentication: c(user.AuthenticationMode),
    },
    userGroup: { engine: group.Engine, id: c(group.UserGroupId), userIds: c(group.UserIds) },
    cache: {
      name: c(cache.ServerlessCacheName),
      engine: cache.Engine,
      majorEngineVersion: cache.MajorEngineVersion,
      usageLimits: c(cache.CacheUsageLimits),
      userGroupId: c(cache.UserGroupId),
      securityGroups: c(cache.SecurityGroupIds),
      subnets: (cache.SubnetIds as Json[]).length,
    },
    functionRole: role('functionRole'),
    s3Grants: s3Grants(template),
    function: lambda(fn),
    invalidatorRole: role('invalidatorRole'),
    invalidator: invalidator ? lambda(invalidator[1].Properties ?? {}) : null,
    s3Events: {
      bucketNotifications: c(bucket.NotificationConfiguration),
      rules: resourcesOfType(template, 'AWS::Events::Rule').map(([, rule]) => {
        const p = rule.Properties ?? {}
        return {
          eventBus: p.EventBusName ?? 'default',
          state: p.State ?? 'ENABLED',
          pattern: c(p.EventPattern),
          targets: ((p.Targets ?? []) as Record<string, Json>[]).map((target) => ({
            arn: c(target.Arn),
            input: target.Input ?? target.InputPath ?? target.InputTransformer ?? null,
            deadLetter: c(target.DeadLetterConfig),
            retry: c(target.RetryPolicy),
          })),
        }
      }),
      deadLetterQueues: resourcesOfType(template, 'AWS::SQS::Queue').map(([id, queue]) => ({
        queue: names[id] ?? id,
        sseSqs: queue.Properties?.SqsManagedSseEnabled ?? null,
        retentionSeconds: queue.Properties?.MessageRetentionPeriod ?? null,
        policy: resourcesOfType(template, 'AWS::SQS::QueuePolicy')
          .filter(
            ([, policy]) => JSON.stringify(c(policy.Properties?.Queues)) === JSON.stringify([names[id]]),
          )
          .flatMap(([, policy]) => resourcePolicyStatements(policy.Properties?.PolicyDocument, names)),
      })),
      /** Lambda's asynchronous invocation settings: retries, event age, and where failed invocations go. */
      asyncInvoke: resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').map(([, config]) => {
        const p = config.Properties ?? {}
        return {
          function: c(p.FunctionName),
          qualifier: p.Qualifier ?? null,
          maximumRetryAttempts: p.MaximumRetryAttempts ?? null,
          maximumEventAgeSeconds: p.MaximumEventAgeInSeconds ?? null,
          destinations: c(p.DestinationConfig),
        }
      }),
    },
    /** Who may invoke which function: API Gateway the API (one route), EventBridge the invalidator (one rule). */
    invokePermissions: resourcesOfType(template, 'AWS::Lambda::Permission')
      .map(([, p]) => c(p.Properties ?? {}))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    api: {
      methods: resourcesOfType(template, 'AWS::ApiGateway::Method')
        .map(([, method]) => method.Properties ?? {})
        .map((method) => ({
          httpMethod: method.HttpMethod,
          apiKeyRequired: method.ApiKeyRequired === true,
          authorizationType: method.AuthorizationType,
          integration: ((method.Integration ?? {}) as Record<string, Json>).Type,
        }))
        .sort((a, b) => String(a.httpMethod).localeCompare(String(b.httpMethod))),
      corsPreflight: resourcesOfType(template, 'AWS::ApiGateway::Method')
        .map(([, method]) => method.Properties ?? {})
        .filter((method) => method.HttpMethod === 'OPTIONS')
        .map((method) => c((method.Integration as Record<string, Json>).IntegrationResponses)),
      stageName: stage.StageName,
      accessLogFormat: (stage.AccessLogSetting as Record<string, Json>).Format,
      /** The stage's own throttle (and data trace): MethodSettings, sorted by path and method. */
      methodSettings: c(
        ((stage.MethodSettings ?? []) as Record<string, Json>[])
          .slice()
          .sort((a, b) =>
            `${a.ResourcePath} ${a.HttpMethod}`.localeCompare(`${b.ResourcePath} ${b.HttpMethod}`),
          ),
      ),
      usagePlan: { throttle: c(plan.Throttle), quota: c(plan.Quota) },
    },
    bucket: {
      encryption: bucket.BucketEncryption,
      versioning: bucket.VersioningConfiguration,
      publicAccessBlock: bucket.PublicAccessBlockConfiguration,
      policy: resourcesOfType(template, 'AWS::S3::BucketPolicy').flatMap(([, policy]) =>
        statementsOf(policy.Properties?.PolicyDocument).map((s) => c(s)),
      ),
    },
    endpoints: resourcesOfType(template, 'AWS::EC2::VPCEndpoint')
      .map(([, endpoint]) => endpoint.Properties ?? {})
      .map((endpoint) => ({
        service: c(endpoint.ServiceName),
        type: endpoint.VpcEndpointType,
        privateDns: endpoint.PrivateDnsEnabled ?? null,
        securityGroups: c(endpoint.SecurityGroupIds ?? []),
        policy: statements(endpoint.PolicyDocument, names),
      }))
      .sort((a, b) => String(a.service).localeCompare(String(b.service))),
    outputs: Object.fromEntries(
      Object.entries(template.Outputs ?? {})
        .map(([name, output]) => [name, c(output.Value)] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
  }
}

/**
 * Wildcards that would widen access, as readable lines (expected: none). Allowed, because AWS requires
 * or intends them: `Principal: *` in VPC endpoint policies (a principal is mandatory; actions and
 * resources narrow them) and in the bucket's TLS `Deny` (a deny should cover everyone and every
 * `s3:*` action). `bucket.Arn/*` is the bucket's objects, not a wildcard resource. AWS-managed
 * policies (AWSLambdaVPCAccessExecutionRole: ec2:CreateNetworkInterface etc. on `*`, which EC2 cannot
 * scope) are referenced by ARN and checked by name elsewhere.
 */
export function wildcardViolations(template: CfnTemplate): string[] {
  const violations: string[] = []
  const visit = (where: string, value: Json | undefined, endpointPolicy: boolean) => {
    if (Array.isArray(value)) for (const item of value) visit(where, item, endpointPolicy)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return
    for (const [key, child] of Object.entries(value)) {
      if (key === 'PolicyDocument') {
        const statementList = (child as Record<string, Json>).Statement
        for (const statement of (Array.isArray(statementList) ? statementList : [statementList]) as Record<
          string,
          Json
        >[]) {
          const actions = [statement.Action ?? []].flat().map(String)
          const resources = [statement.Resource ?? []].flat().map((r) => JSON.stringify(r))
          const principal = JSON.stringify(statement.Principal ?? null)
          if (statement.Effect === 'Allow') {
            for (const action of actions)
              if (action === '*' || action.endsWith(':*')) violations.push(`${where}: Allow ${action}`)
            for (const resource of resources)
              if (resource === '"*"') violations.push(`${where}: Allow on resource *`)
            if (principal.includes('"*"') && !endpointPolicy)
              violations.push(`${where}: Allow to principal *`)
          }
        }
      } else visit(where, child, endpointPolicy)
    }
  }
  for (const [id, resource] of Object.entries(template.Resources))
    visit(id, resource.Properties as Json, resource.Type === 'AWS::EC2::VPCEndpoint')
  return violations
}
