export { blockEventLoop } from './block-event-loop'
export { makeTempDir } from './cleanup'
export {
  type ClusterNodeInfo,
  type StartValkeyClusterOptions,
  startValkeyCluster,
  type ValkeyClusterServer,
} from './cluster'
export type { AclOptions, AclUser, Credentials } from './config'
export {
  type Engine,
  type EngineBinaries,
  EngineNotFoundError,
  ensureEngine,
  ensureValkey,
  findCli,
  findServer,
  findValkeyCli,
  findValkeyServer,
  ValkeyNotFoundError,
} from './find-valkey'
export { type Version, VersionHistory } from './history'
export { freePort, freePorts } from './ports'
export { countS3Calls, type S3CallCounter, type S3Server, s3rverClient, startS3 } from './s3'
export { type S3FaultMode, startS3FaultProxy } from './s3-fault-proxy'
export { nextSequencer, objectCreatedEvent, objectRemovedEvent } from './s3-notifications'
export { ServerPair } from './server-pair'
export { ServerProcess, ServerProcess as ValkeyProcess } from './server-process'
export { startSilenceProxy } from './tcp-silence-proxy'
export { makeTlsMaterial, type TlsMaterial } from './tls'
export { uniqueKey } from './unique-key'
export { type StartValkeyOptions, startValkey, tlsClientOptions, type ValkeyServer } from './valkey'
