// The lock screen: a new data directory is set up with a passphrase typed twice; a locked one
// opens only with its passphrase; the app locks itself when idle and with the Lock button, and
// shows nothing of the data while locked.
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { App } from '../App';
import { MemoryBackend } from '../backend/memory';
import { individualInput } from '../test/fixtures';

const type = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });

/** Signs kim in on the lock screen with the right passphrase. */
const signIn = () => {
  type('lock-passphrase', 'the right passphrase');
  type('lock-user', 'kim');
  type('lock-password', 'kim password 1');
  fireEvent.click(screen.getByTestId('lock-submit'));
};

describe('lock screen', () => {
  beforeEach(() => {
    window.location.hash = '';
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sets up a new data directory: the passphrase twice, at least 10 characters', async () => {
    const backend = new MemoryBackend({ locked: {} });
    render(<App backend={backend} />);
    expect(await screen.findByText('Set up Dossier')).toBeTruthy();
    type('lock-passphrase', 'short');
    expect((screen.getByTestId('lock-submit') as HTMLButtonElement).disabled).toBe(true);
    type('lock-passphrase', 'counter one passphrase');
    type('lock-passphrase-again', 'counter one passphrose');
    type('lock-user', 'admin');
    type('lock-password', 'the first admin password');
    fireEvent.click(screen.getByTestId('lock-submit'));
    expect((await screen.findByTestId('lock-error')).textContent).toContain('differ');
    await expect(backend.dashboard()).rejects.toMatchObject({ body: { code: 'locked' } });
    type('lock-passphrase-again', 'counter one passphrase');
    type('lock-user', 'admin');
    type('lock-password', 'the first admin password');
    fireEvent.click(screen.getByTestId('lock-submit'));
    expect(await screen.findByTestId('page-dashboard')).toBeTruthy();
    expect(backend.users.map((u) => [u.name, u.roles])).toEqual([['admin', ['admin']]]);
    expect(screen.queryByTestId('lock-screen')).toBeNull();
  });

  it('opens only with the right passphrase, and locks with the Lock button', async () => {
    const backend = new MemoryBackend({ locked: { passphrase: 'the right passphrase' } });
    render(<App backend={backend} />);
    expect(await screen.findByText('Sign in to Dossier')).toBeTruthy();
    expect(screen.queryByTestId('page-dashboard')).toBeNull();
    type('lock-passphrase', 'a wrong passphrase');
    type('lock-user', 'kim');
    type('lock-password', 'kim password 1');
    fireEvent.click(screen.getByTestId('lock-submit'));
    expect((await screen.findByTestId('lock-error')).textContent).toContain('does not open');
    signIn();
    expect(await screen.findByTestId('page-dashboard')).toBeTruthy();
    fireEvent.click(screen.getByTestId('lock-now'));
    expect(await screen.findByText('Sign in to Dossier')).toBeTruthy();
    expect(screen.queryByTestId('page-dashboard')).toBeNull();
    await expect(backend.listQueue({ state: null, verification_state: null, verification_method: null, edd: null, risk: null, identity_status: null, refresh_due_before: null, assignee: null, sla_breached: false, sort: null, limit: 10, after: null })).rejects.toMatchObject({ body: { code: 'locked' } });
  });

  it('locks itself after the idle time, and not while someone is working', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const backend = new MemoryBackend({ locked: { passphrase: 'the right passphrase', idleLockSeconds: 60 } });
    render(<App backend={backend} />);
    await screen.findByText('Sign in to Dossier');
    signIn();
    await screen.findByTestId('page-dashboard');
    await backend.createCustomer(individualInput('IDLE-1')).catch(() => undefined);
    // Activity every 40 s keeps it open past the idle time.
    for (let i = 0; i < 3; i += 1) {
      await act(async () => {
        vi.advanceTimersByTime(40_000);
      });
      fireEvent.keyDown(window, { key: 'Shift' });
    }
    expect(screen.queryByTestId('lock-screen')).toBeNull();
    await act(async () => {
      vi.advanceTimersByTime(61_000);
    });
    await waitFor(() => expect(screen.getByText('Sign in to Dossier')).toBeTruthy());
  });
});

describe('backup and restore', () => {
  it('backs up, then restores after a confirmation and opens with the backup’s passphrase', async () => {
    window.location.hash = '#/settings';
    const backend = new MemoryBackend({ locked: { passphrase: 'the right passphrase' } });
    render(<App backend={backend} />);
    await screen.findByText('Sign in to Dossier');
    signIn();
    await backend.createCustomer(individualInput('BACKED-1'));
    await screen.findByTestId('settings-backup');
    type('backup-path', '/media/usb/one.backup');
    fireEvent.click(screen.getByTestId('backup-now'));
    expect(await screen.findByText(/Backup written: \/media\/usb\/one.backup/)).toBeTruthy();
    await backend.createCustomer(individualInput('AFTER-1'));
    type('restore-path', '/media/usb/one.backup');
    type('restore-passphrase', 'the right passphrase');
    fireEvent.click(screen.getByTestId('restore-start'));
    fireEvent.click(await screen.findByTestId('restore-confirm-yes'));
    expect((await screen.findByTestId('lock-notice')).textContent).toContain('Restored the backup');
    signIn();
    await screen.findByTestId('settings-backup');
    expect(backend.customers.map((c) => c.ref_id)).toEqual(['BACKED-1']);
  });
});

describe('masked numbers', () => {
  it('shows tax ids and document numbers masked, and reveals one on request with an audit event', async () => {
    const backend = new MemoryBackend();
    const c = await backend.createCustomer(individualInput('MASK-1', { tax_details: [{ tax_id_type: 'SSN', tax_id: '521-87-4396', country: 'US' }] }));
    window.location.hash = `#/customers/${c.id}`;
    render(<App backend={backend} />);
    const tax = await screen.findByTestId('saved-tax-0-id');
    expect(tax.textContent).toMatch(/^\*\*\*-\*\*-4396/);
    expect(document.body.textContent).not.toContain('521-87');
    fireEvent.click(screen.getByTestId('saved-tax-0-id-reveal'));
    await waitFor(() => expect(screen.getByTestId('saved-tax-0-id').getAttribute('data-state')).toBe('revealed'));
    expect(screen.getByTestId('saved-tax-0-id').textContent).toMatch(/^521-87-4396/);
    expect(backend.audit.filter((e) => e.action === 'pii.revealed')).toHaveLength(1);
    fireEvent.click(screen.getByTestId('saved-tax-0-id-hide'));
    expect(screen.getByTestId('saved-tax-0-id').getAttribute('data-state')).toBe('masked');
  });
});
