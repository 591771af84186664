/**
 * mail-autopilot: watches mailboxes and runs rules on every new message.
 *
 * @example
 * ```ts
 * import { createAutopilot } from 'mail-autopilot';
 * const autopilot = createAutopilot('autopilot.yaml');
 * autopilot.states$.subscribe((s) => console.log(s.mailboxId, s.state));
 * await autopilot.start();
 * ```
 * @module
 */

export type {
  DiscoveredMessage,
  MailService,
  MailServiceCapabilities,
  MailSession,
  MessageIdentity,
} from './adapters/contract.js';
export { isMailServiceError, MailServiceError } from './adapters/errors.js';
export * from './machines/index.js';
export type {
  Autopilot,
  AutopilotOptions,
  HostMatch,
  OnceCounts,
  OnceOptions,
  OnceResult,
  StopResult,
} from './runtime/autopilot.js';
export { createAutopilot } from './runtime/autopilot.js';
export type { ClusterStatus, MailboxOwnership, PostgresOwnershipOptions } from './runtime/cluster/index.js';
export { clusterStatusMetrics, PostgresMailboxOwnership, readClusterStatus } from './runtime/cluster/index.js';
export { ConfigError } from './runtime/config/errors.js';
export type { AutopilotConfig, MailboxConfig } from './runtime/config/load.js';
export { loadConfig, validateConfig } from './runtime/config/load.js';
export type { HttpConfig, HttpServer, HttpServerOptions } from './runtime/http/server.js';
export { startHttpServer } from './runtime/http/server.js';
export type { InspectorHandle, InspectorOptions } from './runtime/inspect.js';
export { attachInspector, redactForInspection } from './runtime/inspect.js';
export type { JournalEvent, StoredEvent } from './runtime/journal/events.js';
export { Journal } from './runtime/journal/journal.js';
export { MemoryJournalStore } from './runtime/journal/memory-store.js';
export { JournalFencedError } from './runtime/journal/postgres/fence.js';
export { PostgresJournalStore } from './runtime/journal/postgres-store.js';
export { SqliteJournalStore } from './runtime/journal/sqlite-store.js';
export type { JournalStore } from './runtime/journal/store.js';
export type { DiscoveredItem, MailboxStateView } from './runtime/mailbox-runner.js';
export type { HandlerContext, HandlerMessage, HostHandler } from './runtime/pipeline/host-handler.js';
export type { ActionTrace, MessageTrace, RuleTrace } from './runtime/rules/explain.js';
