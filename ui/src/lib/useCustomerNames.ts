import { useEffect, useState } from 'react';

import type { Backend } from '../backend/Backend';
import { useBackend } from '../backend/context';

export interface CustomerLabel {
  name: string;
  ref_id: string;
}

const cache = new Map<string, CustomerLabel>();

async function load(backend: Backend, id: string): Promise<CustomerLabel> {
  const hit = cache.get(id);
  if (hit) return hit;
  const c = await backend.getCustomer(id);
  const label = {
    name: c.person ? `${c.person.first_name} ${c.person.last_name}` : (c.institution?.legal_name ?? ''),
    ref_id: c.ref_id,
  };
  cache.set(id, label);
  return label;
}

/** Names for customer ids (verification rows carry only the id); fetched once each. */
export function useCustomerNames(ids: string[]): Record<string, CustomerLabel> {
  const backend = useBackend();
  const [names, setNames] = useState<Record<string, CustomerLabel>>({});
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    let alive = true;
    const unique = key ? key.split(',') : [];
    Promise.all(unique.map((id) => load(backend, id).then((l) => [id, l] as const).catch(() => null))).then((pairs) => {
      if (!alive) return;
      const next: Record<string, CustomerLabel> = {};
      pairs.forEach((p) => p && (next[p[0]] = p[1]));
      setNames(next);
    });
    return () => {
      alive = false;
    };
  }, [key, backend]);
  return names;
}
