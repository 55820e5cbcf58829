// Settings: where the data lives, providers (the secret is write-only), and the policy:
// activity-limit tiers, case SLAs, KYC refresh intervals, what a passed KYC does, the EDD list.
import { useEffect, useState } from 'react';

import type { BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { useAppInfo, useBackend } from '../backend/context';
import { CASE_TYPES, LIMIT_INTERVALS, LIMIT_TIERS, POLICY_KYC_PASSED, PROVIDER_NAMES, humanize } from '../backend/vocab';
import type { ActivityLimitDto } from '../bindings/ActivityLimitDto';
import type { PolicyDto } from '../bindings/PolicyDto';
import type { ProviderView } from '../bindings/ProviderView';
import type { Reason } from '../bindings/Reason';
import { EmptyState, Skeleton } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { FieldError, SelectField, TextField } from '../components/Field';
import { StateChip } from '../components/StateChip';
import { useToast } from '../components/Toast';
import { DateTime, Money } from '../components/Values';
import { notifyChanged } from '../lib/events';
import { useAsync } from '../lib/useAsync';
import { BackupPanel } from './BackupPanel';
import { UsersPanel } from './UsersPanel';

export function SettingsPage() {
  const info = useAppInfo();
  return (
    <div>
      <div className="title-row">
        <h1>Settings</h1>
      </div>
      <div className="panel" data-testid="settings-app">
        <h2>This computer</h2>
        <dl className="kv">
          <dt>Data directory</dt>
          <dd className="mono" data-testid="settings-data-dir">
            {info ? info.data_dir : '…'}
          </dd>
          <dt>Signed in as</dt>
          <dd data-testid="settings-actor">
            {info?.actor ?? '…'}
            {info && info.roles.length > 0 && <span className="faint"> ({info.roles.join(', ')})</span>}
          </dd>
          <dt>Version</dt>
          <dd data-testid="settings-version">{info?.version ?? '…'}</dd>
        </dl>
      </div>
      <UsersPanel />
      <BackupPanel />
      <Providers />
      <PolicyEditor />
    </div>
  );
}

interface ProviderDraft {
  name: string;
  base_url: string;
  client_id: string;
  client_secret: string;
  tenant: string;
}

const EMPTY_PROVIDER: ProviderDraft = { name: 'cybrid', base_url: '', client_id: '', client_secret: '', tenant: '' };

function Providers() {
  const backend = useBackend();
  const toast = useToast();
  const list = useAsync(() => backend.listProviders(), []);
  const [draft, setDraft] = useState<ProviderDraft>(EMPTY_PROVIDER);
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);
  const existing = list.data?.find((p) => p.name === draft.name);

  const edit = (p: ProviderView) => {
    setDraft({ name: p.name, base_url: p.base_url, client_id: p.client_id ?? '', client_secret: '', tenant: p.tenant ?? '' });
    setError(null);
  };

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await backend.setProvider({
        name: draft.name,
        base_url: draft.base_url.trim() || null,
        client_id: draft.client_id.trim() || null,
        // Blank keeps the stored secret; it is never read back.
        client_secret: draft.client_secret === '' ? null : draft.client_secret,
        tenant: draft.tenant.trim() || null,
      });
      setDraft({ ...draft, client_secret: '' });
      list.reload();
      notifyChanged();
      toast.show(`${draft.name} saved`);
    } catch (e) {
      setError(toBackendError(e));
    } finally {
      setBusy(false);
    }
  };

  const disable = async (name: string) => {
    setError(null);
    try {
      await backend.disableProvider(name);
      list.reload();
      notifyChanged();
      toast.show(`${name} disabled`);
    } catch (e) {
      setError(toBackendError(e));
    }
  };

  return (
    <div className="panel" data-testid="settings-providers">
      <h2>Providers</h2>
      <ErrorBanner error={list.error} />
      {!list.data ? (
        <Skeleton rows={2} />
      ) : list.data.length === 0 ? (
        <EmptyState title="No provider set up" testId="providers-empty">
          Add one below. The sandbox simulators run on this computer and need no credentials.
        </EmptyState>
      ) : (
        <table className="table" style={{ marginBottom: 12 }}>
          <thead>
            <tr>
              <th>Name</th>
              <th>Base URL</th>
              <th>Client id</th>
              <th>Tenant</th>
              <th>Secret</th>
              <th>State</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.map((p) => (
              <tr key={p.name} data-testid={`provider-row-${p.name}`}>
                <td>{p.name}</td>
                <td className="mono">{p.base_url}</td>
                <td className="mono">{p.client_id ?? '—'}</td>
                <td className="mono">{p.tenant ?? '—'}</td>
                <td>{p.has_secret ? 'Stored' : 'None'}</td>
                <td>
                  <StateChip value={p.enabled ? 'enabled' : 'disabled'} tone={p.enabled ? 'green' : 'neutral'} label={p.enabled ? 'Enabled' : 'Disabled'} />
                </td>
                <td>
                  <DateTime value={p.updated_at} />
                </td>
                <td style={{ textAlign: 'right' }}>
                  <button type="button" className="btn btn-small" onClick={() => edit(p)} data-testid={`provider-edit-${p.name}`}>
                    Edit
                  </button>{' '}
                  {p.enabled && (
                    <button type="button" className="btn btn-small btn-danger" onClick={() => void disable(p.name)} data-testid={`provider-disable-${p.name}`}>
                      Disable
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        aria-label="Set a provider"
      >
        <div className="form-grid">
          <SelectField label="Provider" value={draft.name} onChange={(name) => setDraft({ ...draft, name })} options={PROVIDER_NAMES} testId="provider-name" path="name" errors={error?.body.reasons} />
          <TextField className="wide" label="Base URL" value={draft.base_url} onChange={(v) => setDraft({ ...draft, base_url: v })} testId="provider-base-url" path="base_url" errors={error?.body.reasons} placeholder="http://127.0.0.1:8081" required />
          <TextField label="Client id" value={draft.client_id} onChange={(v) => setDraft({ ...draft, client_id: v })} testId="provider-client-id" path="client_id" errors={error?.body.reasons} />
          <TextField
            label="Client secret"
            type="password"
            value={draft.client_secret}
            onChange={(v) => setDraft({ ...draft, client_secret: v })}
            testId="provider-client-secret"
            path="client_secret"
            errors={error?.body.reasons}
            placeholder={existing?.has_secret ? 'Stored — type to replace' : 'Not set'}
            hint="Write-only: kept in the credentials file, never shown again."
          />
          <TextField label="Tenant / program" value={draft.tenant} onChange={(v) => setDraft({ ...draft, tenant: v })} testId="provider-tenant" path="tenant" errors={error?.body.reasons} />
        </div>
        <div className="row" style={{ marginTop: 8 }}>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="provider-save">
            {existing ? `Save ${draft.name}` : `Add ${draft.name}`}
          </button>
        </div>
      </form>
      <ErrorBanner error={error} testId="provider-error" hideFieldReasons />
    </div>
  );
}

interface PolicyDraft {
  on_kyc_passed: string;
  sla_hours: Record<string, string>;
  refresh_years: Record<string, string>;
  activity_limits: Record<string, ActivityLimitDto[]>;
  edd_checklist: string;
}

export function toDraft(p: PolicyDto): PolicyDraft {
  const sla: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.sla_hours)) sla[k] = String(v);
  const refresh: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.refresh_years)) refresh[k] = String(v);
  const limits: Record<string, ActivityLimitDto[]> = {};
  for (const tier of LIMIT_TIERS) limits[tier] = (p.activity_limits[tier] ?? []).map((l) => ({ ...l }));
  for (const [k, v] of Object.entries(p.activity_limits)) if (!limits[k]) limits[k] = v.map((l) => ({ ...l }));
  return { on_kyc_passed: p.on_kyc_passed, sla_hours: sla, refresh_years: refresh, activity_limits: limits, edd_checklist: p.edd_checklist.join(', ') };
}

/** The draft as a policy document, or the fields that are not whole numbers. */
export function fromDraft(base: PolicyDto, d: PolicyDraft): { policy: PolicyDto } | { errors: Reason[] } {
  const errors: Reason[] = [];
  const sla: Record<string, number> = {};
  for (const [k, v] of Object.entries(d.sla_hours)) {
    if (/^\d+$/.test(v.trim())) sla[k] = Number(v.trim());
    else errors.push({ code: 'invalid_duration', message: `sla_hours.${k} must be a whole number of hours`, field: `sla_hours.${k}` });
  }
  const refresh: Record<string, number> = {};
  for (const [k, v] of Object.entries(d.refresh_years)) {
    if (/^\d+$/.test(v.trim())) refresh[k] = Number(v.trim());
    else errors.push({ code: 'invalid_threshold', message: `refresh_years.${k} must be a whole number of years`, field: `refresh_years.${k}` });
  }
  if (errors.length) return { errors };
  const limits: Record<string, ActivityLimitDto[]> = {};
  for (const [tier, list] of Object.entries(d.activity_limits)) {
    limits[tier] = list.map((l) => ({ activity: l.activity.trim(), amount: l.amount.trim(), currency: l.currency.trim().toUpperCase(), interval: l.interval }));
  }
  return {
    policy: {
      ...base,
      on_kyc_passed: d.on_kyc_passed,
      sla_hours: sla,
      refresh_years: refresh,
      activity_limits: limits,
      edd_checklist: d.edd_checklist
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    },
  };
}

function PolicyEditor() {
  const backend = useBackend();
  const toast = useToast();
  const policy = useAsync(() => backend.getPolicy(), []);
  const [draft, setDraft] = useState<PolicyDraft | null>(null);
  const [errors, setErrors] = useState<Reason[]>([]);
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (policy.data) setDraft(toDraft(policy.data));
  }, [policy.data]);

  if (policy.error) return <ErrorBanner error={policy.error} />;
  if (!policy.data || !draft) return <div className="panel"><Skeleton rows={6} /></div>;

  const setLimit = (tier: string, i: number, patch: Partial<ActivityLimitDto>) =>
    setDraft({
      ...draft,
      activity_limits: { ...draft.activity_limits, [tier]: (draft.activity_limits[tier] ?? []).map((l, j) => (j === i ? { ...l, ...patch } : l)) },
    });

  const save = async () => {
    setError(null);
    const built = fromDraft(policy.data!, draft);
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setErrors([]);
    setBusy(true);
    try {
      const saved = await backend.setPolicy(built.policy);
      policy.set(saved);
      notifyChanged();
      toast.show('Policy saved');
    } catch (e) {
      const err = toBackendError(e);
      setError(err);
      setErrors(err.body.reasons);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="panel"
      data-testid="settings-policy"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      aria-label="Policy"
    >
      <div className="panel-title">
        <h2>Policy</h2>
        <div className="actions">
          <button type="button" className="btn" onClick={() => { setDraft(toDraft(policy.data!)); setErrors([]); setError(null); }} data-testid="policy-reset">
            Reset
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="policy-save">
            Save policy
          </button>
        </div>
      </div>
      <p className="muted">New cases use the policy in force when they open.</p>
      <ErrorBanner error={error} testId="policy-error" />
      <div className="grid-3" style={{ alignItems: 'start' }}>
        <fieldset>
          <legend>Case SLAs (hours)</legend>
          {[...new Set([...CASE_TYPES, ...Object.keys(draft.sla_hours)])].map((k) => (
            <TextField key={k} label={k === 'edd' ? 'EDD' : humanize(k)} value={draft.sla_hours[k] ?? ''} onChange={(v) => setDraft({ ...draft, sla_hours: { ...draft.sla_hours, [k]: v } })} path={`sla_hours.${k}`} errors={errors} testId={`policy-sla-${k}`} inputMode="numeric" />
          ))}
        </fieldset>
        <fieldset>
          <legend>KYC refresh (years)</legend>
          {['LOW', 'MEDIUM', 'HIGH'].map((k) => (
            <TextField key={k} label={`${humanize(k)} risk`} value={draft.refresh_years[k] ?? ''} onChange={(v) => setDraft({ ...draft, refresh_years: { ...draft.refresh_years, [k]: v } })} path={`refresh_years.${k}`} errors={errors} testId={`policy-refresh-${k}`} inputMode="numeric" />
          ))}
        </fieldset>
        <fieldset>
          <legend>Cases</legend>
          <SelectField label="When a KYC verification passes" value={draft.on_kyc_passed} onChange={(v) => setDraft({ ...draft, on_kyc_passed: v })} options={POLICY_KYC_PASSED.map((p) => ({ value: p, label: humanize(p) }))} path="on_kyc_passed" errors={errors} testId="policy-on-kyc-passed" />
          <TextField label="EDD checklist (comma-separated)" value={draft.edd_checklist} onChange={(v) => setDraft({ ...draft, edd_checklist: v })} testId="policy-edd-checklist" />
          {draft.edd_checklist.split(',').map((_, i) => (
            <FieldError key={i} reasons={errors} path={`edd_checklist[${i}]`} />
          ))}
        </fieldset>
      </div>
      <h3 style={{ marginTop: 8 }}>Activity limits by tier</h3>
      <div className="grid-3" style={{ alignItems: 'start' }}>
        {Object.keys(draft.activity_limits).map((tier) => (
          <fieldset key={tier} data-testid={`policy-tier-${tier}`}>
            <legend>{tier === 'edd' ? 'EDD' : humanize(tier)}</legend>
            {(draft.activity_limits[tier] ?? []).map((l, i) => (
              <div key={i} className="repeat">
                <div className="repeat-head">
                  <Money amount={l.amount} currency={l.currency} />
                  <span className="muted">{l.interval}</span>
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => setDraft({ ...draft, activity_limits: { ...draft.activity_limits, [tier]: (draft.activity_limits[tier] ?? []).filter((_, j) => j !== i) } })} data-testid={`policy-limit-${tier}-${i}-remove`}>
                    Remove
                  </button>
                </div>
                <div className="form-grid" style={{ gridTemplateColumns: '1fr 1fr' }}>
                  <TextField label="Activity" value={l.activity} onChange={(v) => setLimit(tier, i, { activity: v })} path={`activity_limits.${tier}[${i}].activity`} errors={errors} testId={`policy-limit-${tier}-${i}-activity`} />
                  <TextField label="Amount" value={l.amount} onChange={(v) => setLimit(tier, i, { amount: v })} path={`activity_limits.${tier}[${i}].amount`} errors={errors} testId={`policy-limit-${tier}-${i}-amount`} inputMode="decimal" />
                  <TextField label="Currency" value={l.currency} onChange={(v) => setLimit(tier, i, { currency: v.toUpperCase() })} path={`activity_limits.${tier}[${i}].currency`} errors={errors} testId={`policy-limit-${tier}-${i}-currency`} />
                  <SelectField label="Interval" value={l.interval} onChange={(v) => setLimit(tier, i, { interval: v })} options={LIMIT_INTERVALS} path={`activity_limits.${tier}[${i}].interval`} errors={errors} testId={`policy-limit-${tier}-${i}-interval`} />
                </div>
              </div>
            ))}
            <button
              type="button"
              className="btn btn-small"
              onClick={() => setDraft({ ...draft, activity_limits: { ...draft.activity_limits, [tier]: [...(draft.activity_limits[tier] ?? []), { activity: 'funding', amount: '', currency: 'USD', interval: 'daily' }] } })}
              data-testid={`policy-limit-add-${tier}`}
            >
              Add limit
            </button>
          </fieldset>
        ))}
      </div>
      <p className="field-hint">
        Risk model: {policy.data.risk.high_risk_countries.length} high-risk and {policy.data.risk.prohibited_countries.length} prohibited countries, medium from {policy.data.risk.medium_from} points, high from {policy.data.risk.high_from}. Edit with <code>dossier settings set</code>.
      </p>
    </form>
  );
}
