import { App } from 'aws-cdk-lib'
import type { AuthMode } from '../lib/cache'
import { ValkeyS3CacheStack } from '../lib/stack'

/**
 * `cdk synth|deploy -c authMode=password -c azCount=2 -c createApiGatewayAccountRole=false`.
 * Run directly (`tsx bin/app.ts`, `npm run synth:direct`) it writes the same cloud assembly to
 * ./cdk.out without the CDK CLI; the same choices then come from CDK_CONTEXT_AUTHMODE,
 * CDK_CONTEXT_AZCOUNT and CDK_CONTEXT_CREATEAPIGATEWAYACCOUNTROLE.
 */
const app = new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' })

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key) ?? process.env[`CDK_CONTEXT_${key.toUpperCase()}`]
  return value === undefined ? undefined : String(value)
}

const authMode = context('authMode') ?? 'iam'
if (authMode !== 'iam' && authMode !== 'password')
  throw new Error(`authMode must be iam or password, not ${authMode}`)
const azCount = Number(context('azCount') ?? 3)
if (azCount !== 2 && azCount !== 3) throw new Error(`azCount must be 2 or 3, not ${azCount}`)

new ValkeyS3CacheStack(app, context('stackName') ?? 'ValkeyS3Cache', {
  authMode: authMode as AuthMode,
  azCount,
  createApiGatewayAccountRole: context('createApiGatewayAccountRole') !== 'false',
})

const assembly = app.synth()
if (process.env.CDK_OUTDIR === undefined) {
  for (const stack of assembly.stacks)
    console.log(`${stack.stackName}: ${assembly.directory}/${stack.templateFile}`)
}
