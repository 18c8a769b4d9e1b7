export { type ApiKey, ApiKeys } from './api-keys'
export { type GatewayRequest, lambdaContext, type RouteMatch, toProxyEvent } from './proxy-event'
export { writeGatewayError, writeProxyResult } from './proxy-result'
export {
  type AccessLogEntry,
  type CorsSettings,
  type Gateway,
  type GatewayOptions,
  type LambdaHandler,
  type Route,
  startGateway,
} from './server'
export { TokenBucket } from './token-bucket'
export { type Admission, UsagePlan, type UsagePlanSettings } from './usage-plan'
