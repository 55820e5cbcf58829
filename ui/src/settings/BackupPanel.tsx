// Backup and restore on this computer. A backup is one encrypted file written while work goes
// on; a restore checks the whole file before it replaces anything, keeps the replaced data
// aside, and leaves the app locked until it is opened with the backup's passphrase.
import { useState } from 'react';

import type { BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { useAppInfo, useBackend } from '../backend/context';
import { ErrorBanner } from '../components/ErrorBanner';
import { useToast } from '../components/Toast';
import { useLock } from '../session/lock';

function size(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

/** Shown to admins (backups carry everything; the backend refuses everyone else regardless). */
export function BackupPanel() {
  const info = useAppInfo();
  return info?.roles.includes('admin') ? <Backups /> : null;
}

function Backups() {
  const backend = useBackend();
  const toast = useToast();
  const lock = useLock();
  const [backupPath, setBackupPath] = useState('');
  const [restorePath, setRestorePath] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState<'backup' | 'restore' | null>(null);
  const [error, setError] = useState<BackendError | null>(null);

  const backup = async () => {
    setBusy('backup');
    setError(null);
    try {
      const made = await backend.backup(backupPath.trim() || null);
      if (made) {
        toast.show(`Backup written: ${made.path} (${size(made.bytes)})`);
        setBackupPath('');
      }
    } catch (raw) {
      setError(toBackendError(raw));
    } finally {
      setBusy(null);
    }
  };

  const restore = async () => {
    setBusy('restore');
    setError(null);
    setConfirming(false);
    try {
      const done = await backend.restoreBackup(restorePath.trim() || null, passphrase);
      setPassphrase('');
      if (done) {
        lock(
          `Restored the backup of ${done.created_at.slice(0, 16).replace('T', ' ')} UTC.` +
            (done.previous ? ` The data it replaced is kept in ${done.previous}.` : '') +
            ' Unlock with the backup’s passphrase.',
        );
      }
    } catch (raw) {
      const e = toBackendError(raw);
      // The app closed its data to restore: it is locked whether or not the restore worked.
      lock(`Nothing was replaced: ${e.body.reasons[0]?.message ?? e.message}. Unlock to go on.`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="panel" data-testid="settings-backup">
      <h2>Backup and restore</h2>
      <p className="field-hint">
        A backup is one encrypted file: only this data directory’s passphrase (as it was when the backup was made) opens it.
        Keep backups somewhere other than this computer.
      </p>
      {error && <ErrorBanner error={error} />}
      <div className="form-row">
        <label className="field">
          <span className="field-label">Back up to (leave empty to choose with the dialog)</span>
          <input className="input" value={backupPath} onChange={(e) => setBackupPath(e.target.value)} placeholder="/media/usb/dossier.backup" data-testid="backup-path" />
        </label>
        <button type="button" className="btn btn-primary" onClick={() => void backup()} disabled={busy !== null} data-testid="backup-now">
          {busy === 'backup' ? 'Backing up…' : 'Back up'}
        </button>
      </div>
      <div className="form-row">
        <label className="field">
          <span className="field-label">Restore from (leave empty to choose with the dialog)</span>
          <input className="input" value={restorePath} onChange={(e) => setRestorePath(e.target.value)} data-testid="restore-path" />
        </label>
        <label className="field">
          <span className="field-label">The backup’s passphrase</span>
          <input className="input" type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} data-testid="restore-passphrase" />
        </label>
        <button type="button" className="btn btn-danger" onClick={() => setConfirming(true)} disabled={busy !== null || !passphrase} data-testid="restore-start">
          {busy === 'restore' ? 'Checking and restoring…' : 'Restore…'}
        </button>
      </div>
      {confirming && (
        <div className="confirm" role="alertdialog" aria-label="Confirm restore" data-testid="restore-confirm">
          <p>
            Restoring replaces all data on this computer with the backup’s, after checking every part of it. The current data is
            moved aside, not deleted. Dossier locks while it restores.
          </p>
          <button type="button" className="btn btn-danger" onClick={() => void restore()} data-testid="restore-confirm-yes">
            Restore
          </button>
          <button type="button" className="btn" onClick={() => setConfirming(false)} data-testid="restore-confirm-no">
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}
