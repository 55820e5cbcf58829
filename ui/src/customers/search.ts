// Global search (top bar, "/"): the queue's `search` filter, which matches every word by prefix
// against name, reference id, emails and document numbers (case and accents ignored) over the backend's full-text
// index. A UUID is looked up directly, since ids are not indexed.
import type { Backend } from '../backend/Backend';
import type { CustomerView } from '../bindings/CustomerView';
import type { QueueItem } from '../bindings/QueueItem';
import type { QueueQuery } from '../bindings/QueueQuery';

export const SEARCH_LIMIT = 12;
/** The backend refuses longer searches (`too_long`), and more than 8 words. */
export const SEARCH_MAX_CHARS = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function searchQuery(text: string, limit = SEARCH_LIMIT): QueueQuery {
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
    limit,
    after: null,
    search: text,
  };
}

function asQueueItem(c: CustomerView): QueueItem {
  const name = c.person ? [c.person.first_name, c.person.last_name].join(' ') : (c.institution?.legal_name ?? '');
  return {
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
  };
}

/**
 * Up to `max` customers matching `text`, newest first. Rejects with the backend's error (a
 * search that is too long is refused with `too_long`); a UUID nobody has finds nothing.
 */
export async function searchCustomers(backend: Backend, text: string, max = SEARCH_LIMIT): Promise<QueueItem[]> {
  const q = text.trim();
  if (!q) return [];
  if (UUID.test(q)) {
    try {
      return [asQueueItem(await backend.getCustomer(q.toLowerCase()))];
    } catch {
      return [];
    }
  }
  const page = await backend.listQueue(searchQuery(q, max));
  return page.items;
}
