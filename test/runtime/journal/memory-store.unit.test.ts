import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { describeJournalStoreContract } from './journal-store.contract.js';

describeJournalStoreContract('MemoryJournalStore', async () => ({
  store: new MemoryJournalStore(),
  dispose: async () => {},
}));
