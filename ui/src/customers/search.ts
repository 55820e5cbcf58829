// Global search (name, email, ref id) over the commands the contract has today.
// There is no search command yet, so this reads the newest pages of the queue and matches
// names and ref ids client-side, looks a UUID up directly, and for an email reads the newest
// customers one by one (bounded). A `search_customers` command would replace all of this.
import type { Backend } from '../backend/Backend';
import type { QueueItem } from '../bindings/QueueItem';

export const SEARCH_PAGES = 4;
export const SEARCH_PAGE_SIZE = 500;
export const EMAIL_SCAN_LIMIT = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function emptyQuery() {
  return {
    state: null,
    verification_state: null,
    verification_method: null,
    edd: null,
    risk: null,
    identity_status: null,
    refresh_due_before: null,
    assignee: null,
    sla_breached: false,
    sort: 'newest',
    limit: SEARCH_PAGE_SIZE,
    after: null as string | null,
  };
}

export async function searchCustomers(
  backend: Backend,
  text: string,
  isCancelled: () => boolean = () => false,
  max = 12,
): Promise<QueueItem[]> {
  const q = text.trim().toLowerCase();
  if (!q) return [];
  if (UUID.test(q)) {
    try {
      const c = await backend.getCustomer(q);
      const name = c.person ? [c.person.first_name, c.person.last_name].join(' ') : (c.institution?.legal_name ?? '');
      return [
        {
          id: c.id,
          type: c.type,
          ref_id: c.ref_id,
          name,
          state: c.state,
          verification_level: c.verification_level,
          risk_rating: c.risk_rating,
          identity_status: c.identity_status,
          edd_status: c.edd_status,
          kyc_refresh_due_on: c.kyc_refresh_due_on,
          created_at: c.created_at,
          updated_at: c.updated_at,
        },
      ];
    } catch {
      return [];
    }
  }
  const found: QueueItem[] = [];
  const scanned: QueueItem[] = [];
  let query = emptyQuery();
  for (let i = 0; i < SEARCH_PAGES && found.length < max; i += 1) {
    const page = await backend.listQueue(query);
    if (isCancelled()) return [];
    for (const item of page.items) {
      scanned.push(item);
      if (item.name.toLowerCase().includes(q) || item.ref_id.toLowerCase().includes(q)) found.push(item);
      if (found.length >= max) break;
    }
    if (!page.next) break;
    query = { ...query, after: page.next };
  }
  if (q.includes('@') && found.length < max) {
    for (const item of scanned.slice(0, EMAIL_SCAN_LIMIT)) {
      if (isCancelled()) return [];
      const c = await backend.getCustomer(item.id);
      if (c.contacts.some((k) => k.kind === 'email' && k.value.toLowerCase().includes(q))) found.push(item);
      if (found.length >= max) break;
    }
  }
  return found;
}
