import { COMMON_OPTIONS, type CommandSpec, usagePositionals } from './args'

const ENVIRONMENT = `Environment:
  VALKEY_URL               valkey://, valkeys:// (TLS), redis:// or rediss:// URL (required)
  VALKEY_KEY_PREFIX        the cache's keyPrefix (default s3c:)
  VALKEY_CLUSTER, VALKEY_USERNAME, VALKEY_PASSWORD, VALKEY_TLS_CA, VALKEY_IAM_USER_ID,
  VALKEY_CACHE_NAME, VALKEY_SERVERLESS, VALKEY_CONNECT_TIMEOUT, VALKEY_COMMAND_TIMEOUT
                           as read by fromEnv() (command timeout default 2s here)
  AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_S3, …
                           S3 through the AWS SDK's default configuration
  S3_FORCE_PATH_STYLE=true path-style S3 requests (local S3 servers)`

export function commandHelp(spec: CommandSpec): string {
  const flags = Object.entries({ ...spec.options, ...COMMON_OPTIONS }).map(([name, option]) => ({
    flag: `${name === 'help' ? '-h, ' : ''}--${name}${option.value ? ` <${option.value}>` : ''}`,
    description: option.description,
  }))
  const width = Math.max(24, ...flags.map(({ flag }) => flag.length))
  const options = flags.map(({ flag, description }) => `  ${flag.padEnd(width)} ${description}`)
  const variadic = spec.positionals.at(-1)?.endsWith('…') === true
  const uriForm = spec.s3Uris
    ? [`       valkey-s3-cache ${spec.name} s3://<bucket>/<key>${variadic ? '…' : ''} [options]`]
    : []
  // The command's other forms: a flag that stands instead of the positionals (`invalidate --tag`).
  const forms = Object.entries(spec.options)
    .filter(([, option]) => option.insteadOfPositionals)
    .map(([name, option]) => {
      const flag = `--${name} <${option.value}>`
      return `       valkey-s3-cache ${spec.name} ${flag}${option.multiple ? ` [${flag}]…` : ''} [options]`
    })
  return [
    `Usage: valkey-s3-cache ${[spec.name, usagePositionals(spec)].filter(Boolean).join(' ')} [options]`,
    ...uriForm,
    ...forms,
    '',
    `${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.`,
    '',
    'Options:',
    ...options,
    '',
    spec.details,
    '',
    ENVIRONMENT,
    '',
  ].join('\n')
}

export function mainHelp(specs: CommandSpec[]): string {
  return [
    'Usage: valkey-s3-cache <command> [arguments] [options]',
    '',
    'Operate the S3 object cache in Valkey (ElastiCache) that @valkey-s3-cache/core maintains.',
    '',
    'Commands:',
    ...specs.map((spec) => `  ${spec.name.padEnd(12)} ${spec.summary}`),
    '',
    'Run valkey-s3-cache <command> --help for its arguments and options.',
    '',
    'Exit codes: 0 done, 1 failed (connection, S3, some objects), 2 bad input.',
    '',
    ENVIRONMENT,
    '',
  ].join('\n')
}
