import { Match } from 'aws-cdk-lib/assertions'
import { describe, expect, it } from 'vitest'
import { ACCESS_LOG_FORMAT } from '../lib/config'
import { PARAMETER_DEFAULTS } from '../lib/parameters'
import { STAGE_METHOD_SETTINGS } from './expected'
import { securityFacts } from './security-facts'
import { AUTH_MODES, synth } from './synth'

describe.each(AUTH_MODES)('API Gateway (%s)', (authMode) => {
  const { template, json } = synth(authMode)

  it('requires an API key on POST /objects and proxies it to the function', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'objects' })
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      ApiKeyRequired: true,
      AuthorizationType: 'NONE',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    })
  })

  it('answers the CORS preflight without a key, with the CorsOrigin parameter', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      ApiKeyRequired: false,
      AuthorizationType: 'NONE',
      Integration: {
        Type: 'MOCK',
        IntegrationResponses: [
          Match.objectLike({
            ResponseParameters: Match.objectLike({
              'method.response.header.Access-Control-Allow-Origin': {
                'Fn::Join': ['', ["'", { Ref: 'CorsOrigin' }, "'"]],
              },
              'method.response.header.Access-Control-Allow-Headers': "'Content-Type,X-Api-Key,If-None-Match'",
              'method.response.header.Access-Control-Allow-Methods': "'POST,OPTIONS'",
            }),
          }),
        ],
      },
    })
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties)
    expect(methods.map((m) => [m.HttpMethod, m.ApiKeyRequired]).sort()).toEqual([
      ['OPTIONS', false],
      ['POST', true],
    ])
  })

  it('deploys stage prd with JSON access logs to a log group kept 30 days', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prd',
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('AccessLogs'), 'Arn'] },
        Format: ACCESS_LOG_FORMAT,
      },
    })
    expect(JSON.parse(ACCESS_LOG_FORMAT.replace('$context.error.messageString', '"x"'))).toHaveProperty(
      'apiKeyId',
    )
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 })
    // Access logging needs the account's API Gateway → CloudWatch role (optional, see createApiGatewayAccountRole).
    template.resourceCountIs('AWS::ApiGateway::Account', 1)
  })

  it('has an API key in a usage plan with rate, burst and monthly quota parameters', () => {
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1)
    template.hasResourceProperties('AWS::ApiGateway::ApiKey', { Enabled: true })
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [Match.objectLike({ Stage: { Ref: Match.stringLikeRegexp('Stageprd') } })],
      Throttle: { RateLimit: { Ref: 'ApiRateLimit' }, BurstLimit: { Ref: 'ApiBurstLimit' } },
      Quota: { Limit: { Ref: 'ApiMonthlyQuota' }, Period: 'MONTH' },
    })
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyType: 'API_KEY',
      KeyId: { Ref: Match.stringLikeRegexp('ApiKey') },
    })
  })

  it('throttles every method of the stage by default, for all callers together, above the per-key plan', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prd',
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: { Ref: 'ApiStageRateLimit' },
          ThrottlingBurstLimit: { Ref: 'ApiStageBurstLimit' },
          DataTraceEnabled: false,
        },
      ],
    })
    expect(securityFacts(json).api.methodSettings).toEqual(STAGE_METHOD_SETTINGS)
    template.hasParameter('ApiStageRateLimit', { Type: 'Number', Default: 100, MinValue: 1, MaxValue: 10000 })
    template.hasParameter('ApiStageBurstLimit', { Type: 'Number', Default: 200, MinValue: 1, MaxValue: 5000 })
    // The stage's defaults leave room for a key at its usage plan limits (the stage counts every caller).
    expect(PARAMETER_DEFAULTS.ApiStageRateLimit).toBeGreaterThanOrEqual(PARAMETER_DEFAULTS.ApiRateLimit)
    expect(PARAMETER_DEFAULTS.ApiStageBurstLimit).toBeGreaterThanOrEqual(PARAMETER_DEFAULTS.ApiBurstLimit)
  })

  it('lets API Gateway invoke the function for POST /objects on stage prd only', () => {
    // The other permission is the invalidator's, for its EventBridge rule (see invalidator.test.ts).
    const permissions = template.findResources('AWS::Lambda::Permission', {
      Properties: { Principal: 'apigateway.amazonaws.com' },
    })
    expect(Object.keys(permissions)).toHaveLength(1)
    const [permission] = Object.values(permissions)
    expect(permission?.Properties.FunctionName['Fn::GetAtt']).toEqual([
      expect.stringMatching(/^ApiFunction/),
      'Arn',
    ])
    expect(JSON.stringify(permission?.Properties.SourceArn)).toMatch(/Stageprd.*"\/POST\/objects"/)
  })

  it('outputs the API URL, API key id, bucket name and cache endpoint (and nothing else)', () => {
    expect(Object.keys(json.Outputs ?? {}).sort()).toEqual([
      'ApiKeyId',
      'ApiUrl',
      'BucketName',
      'CacheEndpoint',
    ])
    template.hasOutput('CacheEndpoint', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('ServerlessCache'), 'Endpoint.Address'] },
    })
    template.hasOutput('ApiKeyId', { Value: { Ref: Match.stringLikeRegexp('ApiKey') } })
  })
})

describe('API Gateway account role', () => {
  it('is left out when createApiGatewayAccountRole is false', () => {
    const { template } = synth('iam', { createApiGatewayAccountRole: false })
    template.resourceCountIs('AWS::ApiGateway::Account', 0)
    // The two functions' roles only.
    template.resourceCountIs('AWS::IAM::Role', 2)
  })
})

describe('routes of your own', () => {
  const { template, json } = synth('iam', {
    routes: [
      { path: 'objects', method: 'POST' },
      { path: 'reports/{id}', method: 'GET' },
      { path: 'reports/{id}', method: 'DELETE' },
    ],
  })

  it('puts each behind the API key, with one CORS preflight per path listing its methods', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => [
      m.Properties.HttpMethod,
      m.Properties.ApiKeyRequired,
    ])
    expect(methods.sort()).toEqual([
      ['DELETE', true],
      ['GET', true],
      ['OPTIONS', false],
      ['OPTIONS', false],
      ['POST', true],
    ])
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{id}' })
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: {
        IntegrationResponses: [
          Match.objectLike({
            ResponseParameters: Match.objectLike({
              'method.response.header.Access-Control-Allow-Methods': "'GET,DELETE,OPTIONS'",
            }),
          }),
        ],
      },
    })
  })

  it('lets API Gateway invoke the function for exactly those routes', () => {
    const sources = securityFacts(json)
      .invokePermissions.filter((p) => (p as { Principal?: string }).Principal === 'apigateway.amazonaws.com')
      .map((p) => String((p as { SourceArn: string }).SourceArn).replace(/^.*:api\/stage/, ''))
    expect(sources.sort()).toEqual(['/DELETE/reports/*', '/GET/reports/*', '/POST/objects'])
  })
})
