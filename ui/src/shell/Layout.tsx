import { useCallback, useEffect, useState } from 'react';
import type { ReactNode } from 'react';

import { useAppInfo, useBackend } from '../backend/context';
import type { SyncStatusView } from '../bindings/SyncStatusView';
import { onChanged } from '../lib/events';
import { useLock } from '../session/lock';
import { TopBar } from './TopBar';

const NAV: Array<{ id: string; label: string; path: string }> = [
  { id: 'dashboard', label: 'Dashboard', path: 'dashboard' },
  { id: 'queue', label: 'My queue', path: 'queue' },
  { id: 'customers', label: 'Customers', path: 'customers' },
  { id: 'onboard', label: 'Onboard', path: 'onboard' },
  { id: 'cases', label: 'Cases', path: 'cases' },
  { id: 'approvals', label: 'Approvals', path: 'approvals' },
  { id: 'sync', label: 'Sync', path: 'sync' },
  { id: 'settings', label: 'Settings', path: 'settings' },
];

export function needsAttention(status: SyncStatusView | null): number {
  if (!status) return 0;
  return status.providers.reduce((sum, p) => sum + (p.counts.needs_attention ?? 0), 0);
}

export function Layout({ section, children, testDouble }: { section: string; children: ReactNode; testDouble?: boolean }) {
  const backend = useBackend();
  const info = useAppInfo();
  const lock = useLock();
  const [status, setStatus] = useState<SyncStatusView | null>(null);
  const [queueCount, setQueueCount] = useState<string | null>(null);
  const [approvalCount, setApprovalCount] = useState<string | null>(null);

  const refresh = useCallback(() => {
    backend.syncStatus().then(setStatus).catch(() => undefined);
    backend
      .listApprovals({ state: 'pending', kind: null, customer_id: null, limit: 100, after: null })
      .then((p) => setApprovalCount(p.next ? '100+' : String(p.items.length)))
      .catch(() => undefined);
    if (info) {
      backend
        .listQueue({
          state: null,
          verification_state: null,
          verification_method: null,
          edd: null,
          risk: null,
          identity_status: null,
          refresh_due_before: null,
          assignee: info.actor,
          sla_breached: false,
          sort: null,
          limit: 100,
          after: null,
        })
        .then((p) => setQueueCount(p.next ? '100+' : String(p.items.length)))
        .catch(() => undefined);
    }
  }, [backend, info]);

  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, 30_000);
    const off = onChanged(refresh);
    return () => {
      clearInterval(timer);
      off();
    };
  }, [refresh]);

  const attention = needsAttention(status);
  return (
    <div className="app">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" /> Dossier
        </div>
        {NAV.map((n) => {
          const badge =
            n.id === 'queue'
              ? queueCount
              : n.id === 'approvals'
                ? approvalCount
                : n.id === 'sync' && attention > 0
                  ? String(attention)
                  : null;
          return (
            <a
              key={n.id}
              href={`#/${n.path}`}
              className="nav-link"
              aria-current={section === n.id ? 'page' : undefined}
              data-testid={`nav-${n.id}`}
            >
              <span>{n.label}</span>
              {badge !== null && badge !== '0' && (
                <span
                  className={`badge${n.id === 'sync' || n.id === 'approvals' ? ' badge-amber' : ''}`}
                  data-testid={`nav-badge-${n.id}`}
                  aria-label={n.id === 'sync' ? `${badge} need attention` : n.id === 'approvals' ? `${badge} waiting for approval` : `${badge} in your queue`}
                >
                  {badge}
                </span>
              )}
            </a>
          );
        })}
        <div className="sidebar-foot">
          {testDouble && (
            <div className="testdouble" data-testid="test-double-banner">
              In-memory test double: nothing is saved.
            </div>
          )}
          {info?.actor && (
            <div className="signed-in" data-testid="signed-in-as">
              {info.actor}
            </div>
          )}
          <button type="button" className="btn btn-small btn-ghost lock-now" onClick={() => lock()} title="Lock Dossier, or let someone else sign in (it also locks itself when left idle)" data-testid="lock-now">
            Lock · switch user
          </button>
          {info ? `v${info.version}` : ''}
        </div>
      </nav>
      <TopBar status={status} />
      <main className="content" id="main" data-testid={`page-${section}`}>
        {children}
      </main>
    </div>
  );
}
