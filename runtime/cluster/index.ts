/**
 * Several hosts sharing the mailboxes through PostgreSQL (issue 9, docs/scale-out.md): the ownership coordinator,
 * the fencing of journal appends, the assignment of mailboxes to hosts, and the cluster status for `status` and
 * `/metrics`.
 *
 * @example
 * ```ts
 * import { PostgresMailboxOwnership, readClusterStatus } from './runtime/cluster/index.js';
 * const autopilot = createAutopilot(config, { ownership: new PostgresMailboxOwnership({ url: config.journal }) });
 * await autopilot.start();
 * console.log((await readClusterStatus(config.journal)).hosts);
 * ```
 * @module
 */
export { assignMailboxes, hash53 } from './assignment.js';
export type { FenceSource } from './fenced-store.js';
export { FencedJournalStore } from './fenced-store.js';
export { LocalLease } from './lease.js';
export type { MailboxOwnership, OwnershipHandlers, ReleaseReason } from './ownership.js';
export type { Plan, PlanInput } from './plan.js';
export { planOwnership } from './plan.js';
export type { PostgresOwnershipOptions } from './postgres-ownership.js';
export { PostgresMailboxOwnership } from './postgres-ownership.js';
export type { ClusterStatus, HostStatus, MailboxOwnerStatus, Queryable } from './status.js';
export { clusterStatusMetrics, readClusterStatus } from './status.js';
