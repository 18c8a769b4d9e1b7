import { fileURLToPath } from 'node:url'
import { App } from 'aws-cdk-lib'
import type { AuthMode } from '../lib/cache'
import type { Architecture, HandlerPackage } from '../lib/handler-code'
import { ValkeyS3CacheStack } from '../lib/stack'

/**
 * `cdk synth|deploy -c authMode=password -c azCount=2 -c package=zip -c architecture=x86_64
 * -c createApiGatewayAccountRole=false`. Run directly (`tsx bin/app.ts`, `npm run synth:direct`) it
 * writes the same cloud assembly to ./cdk.out without the CDK CLI; the same choices then come from
 * CDK_CONTEXT_AUTHMODE, CDK_CONTEXT_AZCOUNT, CDK_CONTEXT_PACKAGE, CDK_CONTEXT_ARCHITECTURE and
 * CDK_CONTEXT_CREATEAPIGATEWAYACCOUNTROLE.
 *
 * This file is the example's wiring: it points the stack at examples/api. lib/ reads nothing outside lib/.
 */
const app = new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' })

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key) ?? process.env[`CDK_CONTEXT_${key.toUpperCase()}`]
  return value === undefined ? undefined : String(value)
}
const oneOf = <T extends string>(key: string, values: readonly T[], fallback: T): T => {
  const value = context(key) ?? fallback
  if (!(values as readonly string[]).includes(value))
    throw new Error(`${key} must be ${values.join(' or ')}, not ${value}`)
  return value as T
}

const authMode = oneOf<AuthMode>('authMode', ['iam', 'password'], 'iam')
const azCount = Number(oneOf('azCount', ['2', '3'], '3')) as 2 | 3
const architecture = oneOf<Architecture>('architecture', ['arm64', 'x86_64'], 'arm64')

// examples/api: `npm run build --workspace examples/api` writes dist/, which the Dockerfile copies (image)
// or which is zipped as it is (zip).
const exampleApi = fileURLToPath(new URL('../../../examples/api/', import.meta.url))
const buildCommand = 'npm run build --workspace examples/api (from the repository root)'
const handler: HandlerPackage =
  oneOf('package', ['image', 'zip'], 'image') === 'image'
    ? { type: 'image', directory: exampleApi, buildCommand }
    : { type: 'zip', directory: `${exampleApi}dist`, buildCommand }

new ValkeyS3CacheStack(app, context('stackName') ?? 'ValkeyS3Cache', {
  authMode,
  azCount,
  architecture,
  handler,
  createApiGatewayAccountRole: context('createApiGatewayAccountRole') !== 'false',
})

const assembly = app.synth()
if (process.env.CDK_OUTDIR === undefined) {
  for (const stack of assembly.stacks)
    console.log(`${stack.stackName}: ${assembly.directory}/${stack.templateFile}`)
}
