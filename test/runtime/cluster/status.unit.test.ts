/**
 * The /metrics rendering of the cluster status (issue 9, item 3).
 */
import { describe, expect, it } from 'vitest';
import { type ClusterStatus, clusterStatusMetrics } from '../../../runtime/cluster/status.js';

const at = new Date('2030-01-01T00:00:10Z');
const status: ClusterStatus = {
  at,
  hosts: [
    {
      hostId: 'web-1',
      startedAt: new Date('2030-01-01T00:00:00Z'),
      lastHeartbeatAt: new Date('2030-01-01T00:00:08Z'),
      leaseUntil: new Date('2030-01-01T00:00:38Z'),
      leaseMs: 30_000,
      live: true,
      mailboxes: 1,
      info: {},
    },
    {
      hostId: 'web-"2"',
      startedAt: new Date('2030-01-01T00:00:00Z'),
      lastHeartbeatAt: new Date('2030-01-01T00:00:00Z'),
      leaseUntil: new Date('2030-01-01T00:00:05Z'),
      leaseMs: 5_000,
      live: false,
      mailboxes: 1,
      info: {},
    },
  ],
  mailboxes: [
    { mailboxId: 'support', owner: 'web-1', ownerLive: true, epoch: 2, since: new Date('2030-01-01T00:00:01Z') },
    { mailboxId: 'sales', owner: 'web-"2"', ownerLive: false, epoch: 1, since: new Date('2030-01-01T00:00:02Z') },
    { mailboxId: 'billing', owner: null, ownerLive: false, epoch: 4, since: null },
  ],
  unowned: 2,
};

describe('clusterStatusMetrics', () => {
  it('renders hosts, heartbeat ages, owners and since when, with escaped labels', () => {
    const text = clusterStatusMetrics(status);
    expect(text).toContain('mail_autopilot_cluster_host_live{host="web-1"} 1');
    expect(text).toContain('mail_autopilot_cluster_host_live{host="web-\\"2\\""} 0');
    expect(text).toContain('mail_autopilot_cluster_host_heartbeat_age_seconds{host="web-1"} 2');
    expect(text).toContain('mail_autopilot_cluster_mailboxes_unowned 2');
    expect(text).toContain(
      `mail_autopilot_cluster_mailbox_owned_since_seconds{mailbox="support",host="web-1"} ${Date.parse('2030-01-01T00:00:01Z') / 1000}`,
    );
    expect(text).not.toContain('mailbox="billing"');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('leaves the per-mailbox series out on request', () => {
    expect(clusterStatusMetrics(status, { perMailbox: false })).not.toContain('owned_since');
  });
});
