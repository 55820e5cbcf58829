// Dashboard: four numbers, the funnel pending → verified → active, queue age by case type,
// my oldest cases, and sync health. Each part loads on its own: nothing blocks the screen.
import { useEffect } from 'react';

import { useAppInfo, useBackend } from '../backend/context';
import type { DashboardView } from '../bindings/DashboardView';
import { Skeleton, EmptyState } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { StateChip } from '../components/StateChip';
import { formatCount, formatDuration, relativeTime } from '../format';
import { SlaChip, caseTitle } from '../cases/CaseWork';
import { onChanged } from '../lib/events';
import { useAsync } from '../lib/useAsync';
import { useCustomerNames } from '../lib/useCustomerNames';
import { href } from '../shell/router';
import { BUCKETS } from './buckets';
import QueueAgeChart from './QueueAgeChart';

function Stat({ label, value, to, tone, testId }: { label: string; value: number | undefined; to: string; tone?: 'warn' | 'bad'; testId: string }) {
  return (
    <a className={`stat${tone && value ? ` stat-${tone}` : ''}`} href={to} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value num" data-testid={`${testId}-value`}>
        {value === undefined ? '…' : formatCount(value)}
      </div>
    </a>
  );
}

function Funnel({ funnel }: { funnel: DashboardView['funnel'] | undefined }) {
  const steps: Array<[string, number | undefined, string]> = [
    ['Pending', funnel?.pending, '#/customers?state=pending'],
    ['Verified', funnel?.verified, '#/customers?state=verified'],
    ['Active', funnel?.active, '#/customers?state=active'],
  ];
  const max = Math.max(1, ...steps.map(([, v]) => v ?? 0));
  return (
    <div className="funnel" data-testid="dashboard-funnel">
      {steps.map(([label, value, to], i) => (
        <div key={label} style={{ display: 'contents' }}>
          <a className="funnel-step" href={to} data-testid={`funnel-${label.toLowerCase()}`}>
            <div className="stat-label">{label}</div>
            <div className="funnel-value num">{value === undefined ? '…' : formatCount(value)}</div>
            <div className="funnel-bar" style={{ width: `${Math.round(((value ?? 0) / max) * 100)}%` }} />
          </a>
          {i < steps.length - 1 && (
            <div className="funnel-arrow" aria-hidden="true">
              →
            </div>
          )}
        </div>
      ))}
    </div>
  );
}

export function Dashboard() {
  const backend = useBackend();
  const info = useAppInfo();
  const dash = useAsync(() => backend.dashboard(), []);
  const sync = useAsync(() => backend.syncStatus(), []);
  const reloadDash = dash.reload;
  const reloadSync = sync.reload;
  useEffect(() => onChanged(() => { reloadDash(); reloadSync(); }), [reloadDash, reloadSync]);
  const d = dash.data;
  const oldest = d?.oldest_cases ?? [];
  const names = useCustomerNames(oldest.map((v) => v.customer_id));
  const mineFirst = info ? [...oldest].sort((a, b) => Number(b.assignee === info.actor) - Number(a.assignee === info.actor)) : oldest;

  return (
    <div>
      <div className="title-row">
        <h1>Dashboard</h1>
        {info && <span className="subtitle">Signed in as {info.actor}</span>}
      </div>
      <ErrorBanner error={dash.error} testId="dashboard-error" />
      <div className="grid-4" style={{ marginBottom: 12 }}>
        <Stat label="Awaiting review" value={d?.counts.awaiting_review} to="#/cases" testId="stat-awaiting-review" />
        <Stat label="SLA breached" value={d?.counts.sla_breached} to="#/customers?sla_breached=true" tone="bad" testId="stat-sla-breached" />
        <Stat label="Onboarded today" value={d?.counts.onboarded_today} to="#/customers" testId="stat-onboarded-today" />
        <Stat label="Sync needs attention" value={d?.counts.sync_needs_attention} to="#/sync" tone="warn" testId="stat-sync-attention" />
      </div>
      <div className="grid-2" style={{ alignItems: 'start' }}>
        <div className="stack">
          <div className="panel">
            <h2>Onboarding funnel</h2>
            <Funnel funnel={d?.funnel} />
          </div>
          <div className="panel">
            <h2>Open cases by age</h2>
            {!d ? (
              <Skeleton rows={5} />
            ) : d.queue_age.every((r) => BUCKETS.every((b) => r[b.key] === 0)) ? (
              <EmptyState title="No open cases" testId="queue-age-empty" />
            ) : (
              <>
                <QueueAgeChart rows={d.queue_age} />
                <table className="sr-only">
                  <caption>Open cases by age and case type</caption>
                  <thead>
                    <tr>
                      <th>Case type</th>
                      {BUCKETS.map((b) => (
                        <th key={b.key}>{b.label}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {d.queue_age.map((r) => (
                      <tr key={r.case_type}>
                        <td>{r.case_type}</td>
                        {BUCKETS.map((b) => (
                          <td key={b.key}>{r[b.key]}</td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </div>
        </div>
        <div className="stack">
          <div className="panel" data-testid="dashboard-oldest">
            <h2>Oldest open cases</h2>
            {!d ? (
              <Skeleton rows={5} />
            ) : mineFirst.length === 0 ? (
              <EmptyState title="No open cases">Nothing waits for review.</EmptyState>
            ) : (
              <table className="table">
                <tbody>
                  {mineFirst.map((v) => (
                    <tr key={v.id} data-testid={`oldest-case-${v.id}`}>
                      <td>
                        <a href={href('cases', v.id)}>{caseTitle(v)}</a>
                      </td>
                      <td>{names[v.customer_id]?.name ?? '…'}</td>
                      <td>
                        <StateChip kind="verification" value={v.state} />
                      </td>
                      <td className="muted" title={relativeTime(v.created_at)}>
                        {relativeTime(v.created_at)}
                      </td>
                      <td>
                        <SlaChip v={v} />
                      </td>
                      <td className="muted">{v.assignee === info?.actor ? 'mine' : (v.assignee ?? '')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
          <div className="panel" data-testid="dashboard-sync">
            <div className="panel-title">
              <h2>Sync health</h2>
              <div className="actions">
                <a href="#/sync" className="btn btn-small">
                  Open Sync
                </a>
              </div>
            </div>
            <ErrorBanner error={sync.error} />
            {!sync.data ? (
              <Skeleton rows={3} />
            ) : sync.data.providers.length === 0 ? (
              <EmptyState title="No providers set up">
                <a href="#/settings">Add one in Settings</a> to sync.
              </EmptyState>
            ) : (
              <table className="table">
                <tbody>
                  {sync.data.providers.map((p) => (
                    <tr key={p.name}>
                      <td>
                        <span className={`dot${p.reachable === true ? ' dot-online' : p.reachable === false ? ' dot-offline' : ''}`} aria-hidden="true" /> {p.name}
                      </td>
                      <td className="num">{formatCount(p.counts.pending ?? 0)} pending</td>
                      <td>
                        {(p.counts.needs_attention ?? 0) > 0 ? (
                          <StateChip kind="outbox" value="needs_attention" label={`${formatCount(p.counts.needs_attention)} need attention`} />
                        ) : (
                          <StateChip kind="outbox" value="done" label="Healthy" />
                        )}
                      </td>
                      <td className="muted">oldest {formatDuration(p.oldest_pending_age_s)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </div>
      </div>
    </div>
  );
}
