import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { describeJournalStoreContract } from './journal-store.contract.js';
import { describeRetentionContract } from './journal-store-retention.contract.js';

describeJournalStoreContract('MemoryJournalStore', async () => ({
  store: new MemoryJournalStore(),
  dispose: async () => {},
}));

describeRetentionContract('MemoryJournalStore', async () => ({
  store: new MemoryJournalStore(),
  dispose: async () => {},
}));
