import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import type { App } from 'aws-cdk-lib'
import { Match } from 'aws-cdk-lib/assertions'
import { afterAll, describe, expect, it } from 'vitest'
import { HandlerNotBuiltError } from '../lib/handler-code'
import { FUNCTION_STATEMENTS } from './expected'
import { functions, labels, roleStatements } from './facts'
import { AUTH_MODES, FIXTURE_CONTEXT, FIXTURE_PACKAGES, FIXTURE_ZIP, type SynthProps, synth } from './synth'

/** The asset manifest of a synthesized stack: its image assets and its file (zip) assets. */
function assets(stackProps: SynthProps) {
  const { stack } = synth('iam', stackProps)
  const assembly = (stack.node.root as App).synth()
  const manifest = JSON.parse(
    readFileSync(join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'),
  )
  const images = Object.values(manifest.dockerImages ?? {}) as {
    source: { directory: string; dockerFile: string; platform: string }
  }[]
  const zips = (
    Object.values(manifest.files ?? {}) as { source: { path: string; packaging: string } }[]
  ).filter((file) => file.source.packaging === 'zip')
  return {
    images: images.map((image) => ({
      ...image.source,
      staged: join(assembly.directory, image.source.directory),
    })),
    zips: zips.map((zip) => ({ ...zip.source, staged: join(assembly.directory, zip.source.path) })),
  }
}

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort()

describe.each(AUTH_MODES)('function (%s)', (authMode) => {
  const { template, json } = synth(authMode)

  it('is the container image with 1024 MB, 10 s, arm64 (the default), in the isolated subnets', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      PackageType: 'Image',
      MemorySize: 1024,
      Timeout: 10,
      Architectures: ['arm64'],
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
      CACHE_KEY_PREFIX: { Ref: 'KeyPrefix' },
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
  it('is one image asset for both functions, built for linux/arm64 by default and linux/amd64 on x86_64', () => {
    const arm = assets({ handler: FIXTURE_PACKAGES.image })
    expect(arm.images).toHaveLength(1)
    expect(arm.images[0]).toMatchObject({ dockerFile: 'Dockerfile', platform: 'linux/arm64' })
    expect(files(arm.images[0]?.staged ?? '')).toEqual(['Dockerfile'])
    const x86 = assets({ handler: FIXTURE_PACKAGES.image, architecture: 'x86_64' })
    expect(x86.images[0]).toMatchObject({ platform: 'linux/amd64' })
    synth('iam', { architecture: 'x86_64' }).template.allResourcesProperties('AWS::Lambda::Function', {
      Architectures: ['x86_64'],
    })
  })
})

describe('function zip', () => {
  const { template, json } = synth('iam', { handler: FIXTURE_PACKAGES.zip })

  it('zips the directory once for both functions, on nodejs22.x, with index.handler and invalidator.handler', () => {
    const { api, invalidator } = functions(json)
    expect(api[1].Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Architectures: ['arm64'],
      MemorySize: 1024,
    })
    expect(api[1].Properties?.PackageType).toBeUndefined()
    expect(invalidator?.[1].Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'invalidator.handler',
      MemorySize: 256,
    })
    expect(invalidator?.[1].Properties?.Code).toEqual(api[1].Properties?.Code)
    const { images, zips } = assets({ handler: FIXTURE_PACKAGES.zip })
    expect(images).toEqual([])
    expect(zips).toHaveLength(1)
    expect(files(zips[0]?.staged ?? '')).toEqual(['index.mjs', 'invalidator.mjs'])
  })

  it('keeps the environment and the role of the image path', () => {
    const image = synth('iam').json
    const env = (t: typeof json) => functions(t).api[1].Properties?.Environment
    expect(env(json)).toEqual(env(image))
    const roleId = Object.entries(labels(json)).find(([, label]) => label === 'functionRole')?.[0]
    expect(roleStatements(json, String(roleId))).toEqual(FUNCTION_STATEMENTS.iam)
    template.resourceCountIs('AWS::Lambda::Function', 2)
  })
})

describe('a handler that is not built', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'cdk-handler-'))
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))

  it('fails the synth when the zip directory is missing, naming it and the build command', () => {
    const directory = join(scratch, 'dist')
    expect(() =>
      synth('iam', { handler: { type: 'zip', directory, buildCommand: 'npm run build -w my-api' } }),
    ).toThrow(
      new HandlerNotBuiltError(
        `The handler is not built: ${directory} (the zip package's directory) does not exist. Build it first: npm run build -w my-api`,
      ),
    )
  })

  it('fails the synth when the zip directory lacks a handler module', () => {
    const directory = join(scratch, 'half-built')
    cpSync(FIXTURE_ZIP, directory, { recursive: true })
    rmSync(join(directory, 'invalidator.mjs'))
    expect(() => synth('iam', { handler: { type: 'zip', directory } })).toThrow(
      `The handler is not built: ${join(directory, 'invalidator.mjs')} (the module of invalidator.handler) does not exist. Build the handler first.`,
    )
  })

  it('fails the synth when the image context lacks a file its Dockerfile copies', () => {
    const directory = join(scratch, 'image')
    cpSync(FIXTURE_CONTEXT, directory, { recursive: true })
    writeFileSync(
      join(directory, 'Dockerfile'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile variable, not a JS template
      'FROM public.ecr.aws/lambda/nodejs:22\nCOPY dist/index.mjs dist/invalidator.mjs ${LAMBDA_TASK_ROOT}/\nCMD ["index.handler"]\n',
    )
    expect(() => synth('iam', { handler: { type: 'image', directory, buildCommand: 'make' } })).toThrow(
      `The handler is not built: ${join(directory, 'dist/index.mjs')} (copied by ${join(directory, 'Dockerfile')}) does not exist. Build it first: make`,
    )
  })
})

describe('environment of your own', () => {
  it("adds variables to the API function, and refuses to replace the stack's", () => {
    const { json } = synth('iam', { environment: { FEATURE: 'on' } })
    const variables = functions(json).api[1].Properties?.Environment as { Variables: Record<string, unknown> }
    expect(variables.Variables.FEATURE).toBe('on')
    expect(variables.Variables.BUCKET).toBeDefined()
    expect(() => synth('iam', { environment: { CACHE_KEY_PREFIX: 'x:' } })).toThrow(
      'environment: CACHE_KEY_PREFIX is set by the stack (see ApiFunction)',
    )
  })
})
