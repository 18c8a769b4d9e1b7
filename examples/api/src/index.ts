// The Lambda entry point (CMD ["index.handler"] in the Dockerfile). Everything is configured from
// environment variables and created here, once per execution environment, during the cold start:
// a bad variable fails the init with a message naming it, instead of failing every request.
import { configFromEnv, createHandler } from './handler'
import { closeOnShutdown } from './shutdown'

export const handler = createHandler(configFromEnv())
closeOnShutdown(handler.close)
