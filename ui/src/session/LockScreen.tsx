// The first screen, and the one the app returns to when it locks: the data directory is
// encrypted, so nothing else can be shown until its passphrase opens it. A new data directory
// (or one from before encryption) gets the set-up form instead: a new passphrase, twice.
import { useState } from 'react';
import type { FormEvent } from 'react';

import type { Backend, BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { codeWords } from '../backend/vocab';
import type { AppInfo } from '../bindings/AppInfo';
import type { SessionState } from '../bindings/SessionState';

export const MIN_PASSPHRASE_CHARS = 10;

export function LockScreen({
  backend,
  session,
  notice = null,
  onUnlocked,
}: {
  backend: Backend;
  session: SessionState;
  /** Why the app locked, when it was not the user's own Lock (a restore, say). */
  notice?: string | null;
  onUnlocked: (info: AppInfo) => void;
}) {
  const setUp = session.directory === 'new' || session.directory === 'plain';
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const [mismatch, setMismatch] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (setUp && passphrase !== again) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    setBusy(true);
    try {
      const info = setUp ? await backend.setUp(passphrase, user.trim(), password) : await backend.unlock(passphrase, user.trim(), password);
      setPassphrase('');
      setAgain('');
      setPassword('');
      onUnlocked(info);
    } catch (raw) {
      setError(toBackendError(raw));
    } finally {
      setBusy(false);
    }
  };

  const short = setUp && passphrase.length > 0 && [...passphrase].length < MIN_PASSPHRASE_CHARS;
  return (
    <div className="lock-screen" data-testid="lock-screen">
      <form className="lock-card" onSubmit={(e) => void submit(e)} aria-labelledby="lock-title">
        <div className="brand lock-brand">
          <span className="brand-mark" aria-hidden="true" /> Dossier
        </div>
        <h1 id="lock-title" className="lock-title">
          {setUp ? 'Set up Dossier' : 'Sign in to Dossier'}
        </h1>
        <p className="lock-text">
          {session.directory === 'plain'
            ? 'This data was written by an earlier version without encryption. Choose a passphrase: Dossier encrypts everything with it before going on.'
            : setUp
              ? 'Choose the passphrase that encrypts everything Dossier keeps on this computer. It cannot be recovered: keep it somewhere safe.'
              : 'The passphrase opens the data on this computer; your name and password say who you are.'}
        </p>
        {notice && (
          <div className="lock-notice" role="status" data-testid="lock-notice">
            {notice}
          </div>
        )}
        <div className="lock-dir" title="Data directory" data-testid="lock-data-dir">
          {session.data_dir}
        </div>
        <label className="field">
          <span className="field-label">{setUp ? 'New passphrase' : 'Passphrase'}</span>
          <input
            type="password"
            autoFocus
            autoComplete={setUp ? 'new-password' : 'current-password'}
            value={passphrase}
            onChange={(e) => setPassphrase(e.target.value)}
            aria-invalid={error?.code === 'wrong_passphrase' || short ? 'true' : undefined}
            data-testid="lock-passphrase"
          />
          {setUp && <span className="field-hint">At least {MIN_PASSPHRASE_CHARS} characters; a few words are easier to remember.</span>}
        </label>
        {setUp && (
          <label className="field">
            <span className="field-label">The same again</span>
            <input
              type="password"
              autoComplete="new-password"
              value={again}
              onChange={(e) => setAgain(e.target.value)}
              aria-invalid={mismatch ? 'true' : undefined}
              data-testid="lock-passphrase-again"
            />
          </label>
        )}
        <label className="field">
          <span className="field-label">{setUp ? 'First admin’s user name' : 'User name'}</span>
          <input
            autoComplete="username"
            value={user}
            onChange={(e) => setUser(e.target.value)}
            data-testid="lock-user"
          />
        </label>
        <label className="field">
          <span className="field-label">{setUp ? 'Their password' : 'Password'}</span>
          <input
            type="password"
            autoComplete={setUp ? 'new-password' : 'current-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error?.code === 'sign_in_failed' ? 'true' : undefined}
            data-testid="lock-password"
          />
          {setUp && <span className="field-hint">At least 12 characters. The admin adds everyone else in Settings.</span>}
        </label>
        {mismatch && (
          <div className="field-error" role="alert" data-testid="lock-error">
            The two passphrases differ: type the same one twice.
          </div>
        )}
        {error && (
          <div className="field-error" role="alert" data-testid="lock-error">
            {error.code === 'wrong_passphrase'
              ? 'That passphrase does not open this data. Check it and try again.'
              : error.code === 'sign_in_failed'
                ? 'The user name or password is wrong, or the user is disabled.'
                : (error.body.reasons[0]?.message ?? codeWords(error.code) ?? error.message)}
          </div>
        )}
        <button type="submit" className="btn btn-primary lock-submit" disabled={busy || !passphrase || short || !user.trim() || !password} data-testid="lock-submit">
          {busy ? (setUp ? 'Encrypting…' : 'Signing in…') : setUp ? 'Encrypt and open' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
