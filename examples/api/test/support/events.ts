import type { APIGatewayProxyEvent, Context } from 'aws-lambda'

let counter = 0

/** A REST API (v1) proxy event for `POST /objects`, as API Gateway sends it. */
export function objectsEvent(
  body: unknown,
  options: { headers?: Record<string, string>; raw?: boolean } = {},
): APIGatewayProxyEvent {
  const headers = { 'Content-Type': 'application/json', 'x-api-key': 'test-key', ...options.headers }
  const requestId = `api-${++counter}`
  return {
    resource: '/objects',
    path: '/objects',
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: options.raw ? (body as string | null) : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      authorizer: null,
      httpMethod: 'POST',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: 'test-key',
        apiKeyId: 'test-key-id',
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'vitest',
        userArn: null,
      },
      path: '/test/objects',
      protocol: 'HTTP/1.1',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'objects',
      resourcePath: '/objects',
      stage: 'test',
    },
  }
}

export function lambdaContext(): Context {
  const deadline = Date.now() + 30_000
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'objects',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:objects',
    memoryLimitInMB: '512',
    awsRequestId: `req-${++counter}`,
    logGroupName: '/aws/lambda/objects',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  }
}

let sequencer = BigInt(Date.now()) << 20n

/**
 * An S3 event as EventBridge delivers it to a rule's Lambda target (the bucket has EventBridge
 * notifications on): `Object Created` or `Object Deleted`, the key as it is (not URL-encoded), and an
 * increasing `sequencer`, as S3 gives the events of one key.
 */
export function s3ObjectEvent(
  bucket: string,
  key: string,
  type: 'Object Created' | 'Object Deleted' = 'Object Created',
) {
  sequencer += 1n
  return {
    version: '0',
    id: `eb-${++counter}`,
    'detail-type': type,
    source: 'aws.s3',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, sequencer: sequencer.toString(16).toUpperCase().padStart(18, '0') },
      'request-id': `req-${counter}`,
      requester: '123456789012',
      reason: type === 'Object Created' ? 'PutObject' : 'DeleteObject',
    },
  }
}
