/**
 * Security-relevant facts of a CloudFormation template, with logical IDs replaced by what a resource
 * is for ("cache", "functionRole", …) and intrinsic functions flattened to strings, so that the CDK
 * stack and the SAM template (whose logical IDs and intrinsic styles differ: `Fn::Join` vs `!Sub`)
 * can be compared with one `toEqual`. Works on plain JSON; SAM's `Fn::If` / `Condition` must be
 * resolved first (see infra-examples/sam/test/cfn.ts).
 */

import { INVALIDATOR_HANDLER } from '../lib/config'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export interface Resource {
  Type: string
  Properties?: Record<string, Json>
  [key: string]: Json | undefined
}
export interface CfnTemplate {
  Parameters?: Record<string, Record<string, Json>>
  Resources: Record<string, Resource>
  Outputs?: Record<string, { Value: Json }>
}

const TYPE_LABELS: Record<string, string> = {
  'AWS::S3::Bucket': 'bucket',
  'AWS::ElastiCache::ServerlessCache': 'cache',
  'AWS::ElastiCache::User': 'user',
  'AWS::ElastiCache::UserGroup': 'userGroup',
  'AWS::SecretsManager::Secret': 'secret',
  'AWS::ApiGateway::RestApi': 'api',
  'AWS::ApiGateway::Stage': 'stage',
  'AWS::ApiGateway::ApiKey': 'apiKey',
  'AWS::ApiGateway::UsagePlan': 'usagePlan',
  'AWS::Lambda::Function': 'function',
  'AWS::Serverless::Function': 'function',
  'AWS::EC2::VPC': 'vpc',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::RouteTable': 'routeTable',
  'AWS::Events::Rule': 'invalidatorRule',
  'AWS::SQS::Queue': 'deadLetterQueue',
}

export const FUNCTION_TYPES = ['AWS::Lambda::Function', 'AWS::Serverless::Function']

const isObject = (value: Json | undefined): value is { [key: string]: Json } =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const list = (value: Json | undefined): Json[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value]

export const resourcesOfType = (template: CfnTemplate, type: string | string[]) =>
  Object.entries(template.Resources).filter(([, resource]) => list(type).includes(resource.Type))

/** The one resource of a type; throws when there is none or more than one. */
export function only(template: CfnTemplate, type: string | string[]): [string, Resource] {
  const found = resourcesOfType(template, type)
  if (found.length !== 1) throw new Error(`expected one ${String(type)}, found ${found.length}`)
  return found[0] as [string, Resource]
}

/** The logical ID a value refers to (`Ref` or `Fn::GetAtt`), if it is a reference. */
export function referencedId(value: Json | undefined): string | undefined {
  if (!isObject(value)) return undefined
  if (typeof value.Ref === 'string') return value.Ref
  const att = value['Fn::GetAtt']
  if (Array.isArray(att) && typeof att[0] === 'string') return att[0]
  if (typeof att === 'string') return att.split('.')[0]
  return undefined
}

/**
 * The two functions: the invalidator is the one whose image command (CDK's `cmd`, SAM's
 * `ImageConfig.Command`) or zip handler is `invalidator.handler`, the API the other. Throws unless
 * there is exactly one API function.
 */
export function functions(template: CfnTemplate): {
  api: [string, Resource]
  invalidator: [string, Resource] | undefined
} {
  const all = resourcesOfType(template, FUNCTION_TYPES)
  const entry = (fn: Resource) => {
    const config = fn.Properties?.ImageConfig
    return isObject(config) ? list(config.Command).map(String).join(' ') : String(fn.Properties?.Handler)
  }
  const invalidators = all.filter(([, fn]) => entry(fn) === INVALIDATOR_HANDLER)
  const apis = all.filter((entry) => !invalidators.includes(entry))
  if (apis.length !== 1 || invalidators.length > 1)
    throw new Error(`expected one API function and at most one invalidator, found ${all.length} functions`)
  return { api: apis[0] as [string, Resource], invalidator: invalidators[0] }
}

/** Labels for resources whose purpose depends on who uses them (security groups, roles, log groups). */
export function labels(template: CfnTemplate): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [id, resource] of Object.entries(template.Resources)) {
    const label = TYPE_LABELS[resource.Type]
    if (label !== undefined) result[id] = label
  }
  const props = (type: string | string[]) => only(template, type)[1].Properties ?? {}
  const name = (value: Json | undefined, label: string) => {
    const id = referencedId(value)
    if (id !== undefined) result[id] = label
  }
  // The API function's resources are `function…`, the invalidator's `invalidator…`.
  const { api, invalidator } = functions(template)
  for (const [[id, fn], label] of [
    [api, 'function'],
    ...(invalidator ? [[invalidator, 'invalidator'] as const] : []),
  ] as const) {
    result[id] = label
    const fnProps = fn.Properties ?? {}
    const vpcConfig = isObject(fnProps.VpcConfig) ? fnProps.VpcConfig : {}
    for (const group of list(vpcConfig.SecurityGroupIds)) name(group, `${label}Sg`)
    name(fnProps.Role, `${label}Role`)
    name(isObject(fnProps.LoggingConfig) ? fnProps.LoggingConfig.LogGroup : undefined, `${label}Logs`)
  }
  for (const group of list(props('AWS::ElastiCache::ServerlessCache').SecurityGroupIds))
    name(group, 'cacheSg')
  for (const [, endpoint] of resourcesOfType(template, 'AWS::EC2::VPCEndpoint'))
    for (const group of list(endpoint.Properties?.SecurityGroupIds)) name(group, 'endpointSg')
  const stage = props('AWS::ApiGateway::Stage')
  name(isObject(stage.AccessLogSetting) ? stage.AccessLogSetting.DestinationArn : undefined, 'accessLogs')
  for (const [, account] of resourcesOfType(template, 'AWS::ApiGateway::Account'))
    name(account.Properties?.CloudWatchRoleArn, 'apiGatewayLogsRole')
  return result
}

/** A value with references replaced by labels: `{Fn::GetAtt:[Bucket123,Arn]}` → `bucket.Arn`. */
export function canon(value: Json | undefined, names: Record<string, string>): Json {
  if (Array.isArray(value)) return value.map((item) => canon(item, names))
  if (!isObject(value)) return value ?? null
  const label = (id: string) => names[id] ?? (id.startsWith('AWS::') ? id : `param:${id}`)
  if (typeof value.Ref === 'string') return label(value.Ref)
  const att = value['Fn::GetAtt']
  if (att !== undefined) {
    const [id, ...path] = Array.isArray(att) ? att.map(String) : String(att).split('.')
    return `${label(String(id))}.${path.join('.')}`
  }
  const join = value['Fn::Join']
  if (Array.isArray(join) && Array.isArray(join[1]))
    return join[1].map((part) => String(canon(part, names))).join(String(join[0]))
  const sub = value['Fn::Sub']
  if (sub !== undefined) {
    const [text, vars]: [string, Json | undefined] = Array.isArray(sub)
      ? [String(sub[0]), sub[1]]
      : [String(sub), {}]
    return text.replace(/\$\{([^}!]+)\}/g, (_, ref: string) => {
      if (isObject(vars) && vars[ref] !== undefined) return String(canon(vars[ref], names))
      const [id, ...path] = ref.split('.')
      return path.length === 0 ? label(String(id)) : `${label(String(id))}.${path.join('.')}`
    })
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, canon(item, names)]))
}

export interface Statement {
  sid: string | null
  effect: string
  actions: string[]
  resources: string[]
}

/** Policy statements, actions and resources sorted, references labelled. */
export function statements(document: Json | undefined, names: Record<string, string>): Statement[] {
  if (!isObject(document)) return []
  return list(document.Statement).map((statement) => {
    const s: Record<string, Json> = isObject(statement) ? statement : {}
    return {
      sid: typeof s.Sid === 'string' ? s.Sid : null,
      effect: String(s.Effect),
      actions: list(s.Action).map(String).sort(),
      resources: list(canon(s.Resource, names)).map(String).sort(),
    }
  })
}

/** Resource-policy statements (queue policies), with principals and conditions, without Sids (CDK generates them). */
export function resourcePolicyStatements(document: Json | undefined, names: Record<string, string>): Json[] {
  if (!isObject(document)) return []
  return list(document.Statement)
    .map((statement) => {
      const s: Record<string, Json> = isObject(statement) ? statement : {}
      return {
        effect: String(s.Effect),
        principal: canon(s.Principal, names),
        actions: list(s.Action).map(String).sort(),
        resources: list(canon(s.Resource, names)).map(String).sort(),
        condition: canon(s.Condition, names),
      }
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
}

/** Every inline statement that applies to a role: its own `Policies` and `AWS::IAM::Policy` resources naming it. */
export function roleStatements(template: CfnTemplate, roleId: string): Statement[] {
  const names = labels(template)
  const role = template.Resources[roleId]
  const inline = list(role?.Properties?.Policies).flatMap((policy) =>
    statements(isObject(policy) ? policy.PolicyDocument : undefined, names),
  )
  const attached = resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => list(policy.Properties?.Roles).some((r) => referencedId(r) === roleId))
    .flatMap(([, policy]) => statements(policy.Properties?.PolicyDocument, names))
  return [...inline, ...attached].sort((a, b) => String(a.sid).localeCompare(String(b.sid)))
}

/** `service-role/AWSLambdaVPCAccessExecutionRole` from any spelling of a managed policy ARN. */
export const managedPolicyNames = (role: Resource | undefined, names: Record<string, string>): string[] =>
  list(role?.Properties?.ManagedPolicyArns)
    .map((arn) => String(canon(arn, names)).replace(/^.*:policy\//, ''))
    .sort()
