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
