import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { App } from 'aws-cdk-lib'
import { Match } from 'aws-cdk-lib/assertions'
import { describe, expect, it } from 'vitest'
import { DOCKER_CONTEXT, DOCKERFILE } from '../lib/config'
import { exampleApiImages } from '../lib/function'
import { FUNCTION_STATEMENTS } from './expected'
import { labels, roleStatements } from './facts'
import { AUTH_MODES, FIXTURE_CONTEXT, synth } from './synth'

/** The asset manifest's entry for the function image. */
function imageAsset(stackProps: Parameters<typeof synth>[1]) {
  const { stack } = synth('iam', stackProps)
  const assembly = (stack.node.root as App).synth()
  const manifest = JSON.parse(
    readFileSync(join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'),
  )
  const [image] = Object.values(manifest.dockerImages) as {
    source: { directory: string; dockerFile: string; platform: string }
  }[]
  if (!image) throw new Error('no docker image asset')
  return { ...image.source, staged: join(assembly.directory, image.source.directory) }
}

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))

describe.each(AUTH_MODES)('function (%s)', (authMode) => {
  const { template, json } = synth(authMode)

  it('is the container image with 1024 MB, 10 s, x86_64, in the isolated subnets', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      PackageType: 'Image',
      MemorySize: 1024,
      Timeout: 10,
      Architectures: ['x86_64'],
      VpcConfig: {
        SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('isolatedSubnet') }]),
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('FunctionSecurityGroup'), 'GroupId'] }],
      },
    })
  })

  it('is configured only through the documented environment variables', () => {
    const userName = { 'Fn::Join': ['', [{ Ref: 'CacheName' }, '-app']] }
    const common = {
      BUCKET: { Ref: Match.stringLikeRegexp('^Bucket') },
      VALKEY_URL: {
        'Fn::Join': [
          '',
          [
            'valkeys://',
            { 'Fn::GetAtt': [Match.stringLikeRegexp('ServerlessCache'), 'Endpoint.Address'] },
            ':',
            { 'Fn::GetAtt': [Match.stringLikeRegexp('ServerlessCache'), 'Endpoint.Port'] },
          ],
        ],
      },
      VALKEY_CLUSTER: 'true',
      VALKEY_USERNAME: userName,
      CACHE_TTL: { Ref: 'CacheTtl' },
      CORS_ORIGIN: { Ref: 'CorsOrigin' },
    }
    const byMode =
      authMode === 'iam'
        ? { VALKEY_IAM_USER_ID: userName, VALKEY_CACHE_NAME: { Ref: 'CacheName' } }
        : { VALKEY_PASSWORD_SECRET_ARN: { Ref: Match.stringLikeRegexp('UserPassword') } }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.exact({ ...common, ...byMode }) },
    })
  })

  it('has a role with only AWSLambdaVPCAccessExecutionRole and exactly the handler’s actions', () => {
    const functionRole = Object.entries(labels(json)).find(([, label]) => label === 'functionRole')?.[0]
    expect(functionRole).toBeDefined()
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
            ],
          ],
        },
      ],
    })
    expect(roleStatements(json, String(functionRole))).toEqual(FUNCTION_STATEMENTS[authMode])
  })
})

describe('function image', () => {
  it('is an image asset built for linux/amd64 from the context and Dockerfile in config.ts', () => {
    expect(DOCKER_CONTEXT).toMatch(/\/examples\/api$/)
    expect(DOCKERFILE).toBe('Dockerfile')
    const image = imageAsset({ image: exampleApiImages(FIXTURE_CONTEXT) })
    expect(image).toMatchObject({ dockerFile: 'Dockerfile', platform: 'linux/amd64' })
    expect(files(image.staged)).toEqual(['Dockerfile'])
  })

  it('stages examples/api as its .dockerignore says (synth never runs docker)', () => {
    expect(existsSync(join(DOCKER_CONTEXT, DOCKERFILE))).toBe(true)
    const image = imageAsset({ azCount: 3, image: exampleApiImages() })
    const staged = files(image.staged)
    expect(staged).toContain('Dockerfile')
    expect(staged.filter((file) => !/^(Dockerfile|\.dockerignore|dist\/.*)$/.test(file))).toEqual([])
  })
})
