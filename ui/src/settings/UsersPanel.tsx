// Users and their roles, for admins: who may sign in, and what each may do (docs/roles.md).
import { useState } from 'react';
import type { FormEvent } from 'react';

import type { BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { useAppInfo, useBackend } from '../backend/context';
import type { UserView } from '../bindings/UserView';
import { ErrorBanner } from '../components/ErrorBanner';
import { StateChip } from '../components/StateChip';
import { useToast } from '../components/Toast';
import { useAsync } from '../lib/useAsync';

export const ROLES: Array<{ value: string; label: string; hint: string }> = [
  { value: 'branch_staff', label: 'Branch staff', hint: 'onboard, verify, activate' },
  { value: 'officer', label: 'Officer', hint: 'review and decide' },
  { value: 'supervisor', label: 'Supervisor', hint: 'approve four-eyes requests, overrides' },
  { value: 'admin', label: 'Admin', hint: 'users, settings, providers, backups' },
];

/** Shown to admins only (the backend refuses everyone else regardless). */
export function UsersPanel() {
  const info = useAppInfo();
  return info?.roles.includes('admin') ? <Users actor={info.actor} /> : null;
}

function Users({ actor }: { actor: string }) {
  const backend = useBackend();
  const toast = useToast();
  const users = useAsync(() => backend.listUsers(), []);
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<string[]>(['branch_staff']);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);

  const act = async (work: () => Promise<UserView>, done: string) => {
    setError(null);
    setBusy(true);
    try {
      await work();
      users.reload();
      toast.show(done);
      return true;
    } catch (raw) {
      setError(toBackendError(raw));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (await act(() => backend.addUser(name.trim(), roles, password), `${name.trim()} can sign in now`)) {
      setName('');
      setPassword('');
      setRoles(['branch_staff']);
    }
  };

  return (
    <div className="panel" data-testid="settings-users">
      <h2>Users</h2>
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} testId="users-error" />}
      <table className="table">
        <tbody>
          {(users.data ?? []).map((u) => (
            <tr key={u.id} data-testid={`user-row-${u.name}`}>
              <td>{u.name}</td>
              <td>{u.roles.map((r) => ROLES.find((x) => x.value === r)?.label ?? r).join(', ')}</td>
              <td>{u.active ? <StateChip value="active" tone="green" /> : <StateChip value="disabled" tone="neutral" />}</td>
              <td style={{ textAlign: 'right' }}>
                {u.name !== actor &&
                  (u.active ? (
                    <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => void act(() => backend.disableUser(u.name), `${u.name} can no longer sign in`)} data-testid={`user-disable-${u.name}`}>
                      Disable
                    </button>
                  ) : (
                    <button type="button" className="btn btn-small" disabled={busy} onClick={() => void act(() => backend.enableUser(u.name), `${u.name} can sign in again`)} data-testid={`user-enable-${u.name}`}>
                      Enable
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="form-row" onSubmit={(e) => void add(e)}>
        <label className="field">
          <span className="field-label">User name</span>
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} data-testid="user-add-name" />
        </label>
        <fieldset className="field" style={{ border: 0, padding: 0, margin: 0 }}>
          <span className="field-label">Roles</span>
          <span className="row" style={{ gap: 8 }}>
            {ROLES.map((r) => (
              <label key={r.value} className="field-check" title={r.hint}>
                <input
                  type="checkbox"
                  checked={roles.includes(r.value)}
                  onChange={(e) => setRoles(e.target.checked ? [...roles, r.value] : roles.filter((x) => x !== r.value))}
                  data-testid={`user-add-role-${r.value}`}
                />
                {r.label}
              </label>
            ))}
          </span>
        </fieldset>
        <label className="field">
          <span className="field-label">First password (12+ characters)</span>
          <input className="input" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} data-testid="user-add-password" />
        </label>
        <button type="submit" className="btn btn-primary" disabled={busy || !name.trim() || roles.length === 0 || !password} data-testid="user-add">
          Add user
        </button>
      </form>
    </div>
  );
}
