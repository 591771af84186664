/**
 * The contract setup against a REAL Outlook profile, for the Windows workflow (.github/workflows/windows-mapi.yml):
 * chosen when running on Windows with MAIL_AUTOPILOT_MAPI_PROFILE set. Mail is put into the Inbox and inspected
 * through the Outlook object model (winax) from the test process, the adapter runs as in production (bridge child,
 * winax or koffi, no fake). NOT RUN on the Linux development machine: it has no Outlook.
 *
 * Each mailbox of the contract is the profile's Inbox, emptied of earlier contract mail (subjects starting with
 * "contract ") before each test; the test account must be one whose Inbox may be changed.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { createMapiExtendedService } from '../../../adapters/mapi-extended/index.js';
import { createMapiSimpleService } from '../../../adapters/mapi-simple/index.js';
import { mapiDefaults } from '../../../scripts/harness/adapter-settings.js';
import type { ContractMailbox, ContractSetup, InspectedMessage } from '../contract/mail-service.contract.js';

/**
 * The profile the Windows workflow provides, or undefined (then the fakes are used).
 *
 * @example
 * ```ts
 * if (realProfile()) console.log('running against a real Outlook profile');
 * ```
 */
export function realProfile(): string | undefined {
  return process.platform === 'win32' ? process.env.MAIL_AUTOPILOT_MAPI_PROFILE : undefined;
}

/** winax objects are untyped COM dispatch objects. */
type Com = any;

function outlook(profile: string): { ns: Com; inbox: Com } {
  const winax = createRequire(import.meta.url)('winax') as { Object: new (progId: string) => Com };
  const app = new winax.Object('Outlook.Application');
  const ns = app.GetNamespace('MAPI');
  ns.Logon(profile, '', false, false);
  return { ns, inbox: ns.GetDefaultFolder(6) };
}

function walk(folder: Com, path: string, out: InspectedMessage[]): void {
  const items = folder.Items;
  for (let i = 1; i <= items.Count; i += 1) {
    const item = items.Item(i);
    const subject = String(item.Subject ?? '');
    if (subject.startsWith('contract ')) out.push({ subject, folder: path, unread: item.UnRead === true, flags: [] });
  }
  const folders = folder.Folders;
  for (let i = 1; i <= folders.Count; i += 1) {
    const child = folders.Item(i);
    walk(child, path ? `${path}/${child.Name}` : child.Name, out);
  }
}

/**
 * The setup for one flavour on the real profile.
 *
 * @example
 * ```ts
 * const profile = realProfile();
 * describeMailServiceContract('Simple MAPI (real)', async () => realMapiContractSetup('simple', profile!));
 * ```
 */
export function realMapiContractSetup(flavour: 'extended' | 'simple', profile: string): ContractSetup {
  const { ns, inbox } = outlook(profile);
  const root = inbox.Parent;
  const cleanup = () => {
    const found: { item: Com }[] = [];
    const collect = (folder: Com) => {
      const items = folder.Items;
      for (let i = items.Count; i >= 1; i -= 1) {
        const item = items.Item(i);
        if (String(item.Subject ?? '').startsWith('contract ')) found.push({ item });
      }
      for (let i = 1; i <= folder.Folders.Count; i += 1) collect(folder.Folders.Item(i));
    };
    collect(root);
    for (const { item } of found) item.Delete();
  };
  return {
    messageIds: false,
    waitMs: 60_000,
    async mailbox(): Promise<ContractMailbox> {
      cleanup();
      return {
        inbox: 'Inbox',
        moveTarget: 'Archive',
        moveTargetInspected: 'Archive',
        service: ({ unreadOnly, handled }) =>
          (flavour === 'extended' ? createMapiExtendedService : createMapiSimpleService)(
            { ...mapiDefaults(), id: `real-${flavour}`, profile, unreadOnly, pollIntervalMs: 1_000 },
            { handled },
          ),
        async put(message) {
          const item = inbox.Items.Add('IPM.Note');
          item.Subject = message.subject;
          item.Body = `${message.text}\r\n`;
          item.Save();
          item.UnRead = message.unread;
          item.Save();
        },
        async inspect() {
          const out: InspectedMessage[] = [];
          walk(root, '', out);
          return out.map((m) => ({ ...m, folder: m.folder.replace(/^[^/]*\//, '') }));
        },
        async sent() {
          const sentItems = ns.GetDefaultFolder(5).Items;
          const out: { subject: string; to: string[] }[] = [];
          for (let i = 1; i <= sentItems.Count; i += 1) {
            const item = sentItems.Item(i);
            out.push({
              subject: String(item.Subject ?? ''),
              to: String(item.To ?? '')
                .split(/;\s*/)
                .filter(Boolean),
            });
          }
          return out;
        },
      };
    },
    async close() {
      cleanup();
    },
  };
}
