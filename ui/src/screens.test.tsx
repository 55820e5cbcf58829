// Screen behaviour on the in-memory test double: keyboard paths, reason dialogs, sync,
// customers paging, and the global search.
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { App } from './App';
import { MemoryBackend } from './backend/memory';
import { individualInput } from './test/fixtures';

async function go(hash: string) {
  await act(async () => {
    window.location.hash = hash;
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  });
}

describe('screens', () => {
  let backend: MemoryBackend;
  beforeEach(() => {
    backend = new MemoryBackend({ actor: 'officer.kim' });
    window.location.hash = '';
  });

  const blobUrls = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };
  afterEach(() => {
    vi.restoreAllMocks();
    URL.createObjectURL = blobUrls.create;
    URL.revokeObjectURL = blobUrls.revoke;
  });

  const person = (ref: string, first: string, last: string, email: string) =>
    backend.createCustomer(
      individualInput(ref, {
        person: { first_name: first, middle_name: null, last_name: last, date_of_birth: '1970-01-01', country_of_citizenship: null, country_of_birth: null, occupation: null },
        contacts: [{ kind: 'email', value: email }],
      }),
    );

  it('moves through the customers table with ↑/↓ and opens a row with Enter', async () => {
    for (const ref of ['K-1', 'K-2', 'K-3']) await backend.createCustomer(individualInput(ref));
    render(<App backend={backend} />);
    await go('#/customers?sort=oldest');
    const table = await screen.findByTestId('customers-table');
    await screen.findByTestId('customer-row-K-3');
    const rows = () => within(table).getAllByRole('row').slice(1);
    expect(rows().map((r) => r.getAttribute('data-testid'))).toEqual(['customer-row-K-1', 'customer-row-K-2', 'customer-row-K-3']);
    table.focus();
    fireEvent.keyDown(table, { key: 'ArrowDown' });
    fireEvent.keyDown(table, { key: 'ArrowDown' });
    fireEvent.keyDown(table, { key: 'ArrowUp' });
    expect(rows()[1]!.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(table, { key: 'Enter' });
    await waitFor(() => expect(screen.getByTestId('customer-ref-id').textContent).toBe('K-2'));
  });

  it('pages the customers with Load more (keyset, never page numbers)', async () => {
    for (let i = 0; i < 55; i += 1) await backend.createCustomer(individualInput(`L-${String(i).padStart(2, '0')}`));
    render(<App backend={backend} />);
    await go('#/customers?sort=oldest');
    await screen.findByTestId('customer-row-L-49');
    expect(screen.queryByTestId('customer-row-L-50')).toBeNull();
    fireEvent.click(screen.getByTestId('customers-load-more'));
    await screen.findByTestId('customer-row-L-54');
    expect(screen.queryByTestId('customers-load-more')).toBeNull();
    expect(screen.getAllByTestId(/^customer-row-/)).toHaveLength(55);
  });

  it('asks for a reason before a lifecycle action, and Esc closes the dialog', async () => {
    const c = await backend.createCustomer(individualInput('R-1'));
    render(<App backend={backend} />);
    await go(`#/customers/${c.id}`);
    fireEvent.click(await screen.findByTestId('action-reject'));
    await screen.findByTestId('lifecycle-dialog');
    fireEvent.keyDown(document, { key: 'Escape' });
    expect(screen.queryByTestId('lifecycle-dialog')).toBeNull();
    fireEvent.click(screen.getByTestId('action-reject'));
    const confirm = await screen.findByTestId('lifecycle-dialog-confirm');
    expect(confirm).toHaveProperty('disabled', true);
    fireEvent.change(screen.getByTestId('lifecycle-dialog-reason'), { target: { value: 'Documents forged' } });
    fireEvent.click(confirm);
    await waitFor(() => expect(screen.getByTestId('customer-state').textContent).toBe('Rejected'));
    expect(screen.getByTestId('action-undo-rejection')).toBeTruthy();
    expect(backend.audit.at(-1)).toMatchObject({ action: 'customer.reject', reason: 'Documents forged' });
  });

  it('runs a sync with progress, then retries and discards messages that need attention', async () => {
    await backend.setProvider({ name: 'cybrid', base_url: 'http://127.0.0.1:1', client_id: null, client_secret: null, tenant: null });
    await backend.setProvider({ name: 'paxos', base_url: 'http://127.0.0.1:2', client_id: null, client_secret: null, tenant: null });
    backend.providers.find((p) => p.name === 'paxos')!.refuses = ['customer.create'];
    await backend.createCustomer(individualInput('S-1'));
    await backend.createCustomer(individualInput('S-2'));
    render(<App backend={backend} />);
    await go('#/sync');
    await screen.findByTestId('sync-provider-paxos');
    fireEvent.click(screen.getByTestId('sync-run'));
    await screen.findByTestId('sync-result');
    expect(screen.getByTestId('sync-progress-counts').textContent).toContain('2 delivered');
    expect(screen.getByTestId('sync-progress-counts').textContent).toContain('2 need attention');
    await waitFor(() => expect(screen.getByTestId('nav-badge-sync').textContent).toBe('2'));

    const retry = await screen.findAllByTestId(/^sync-retry-/);
    expect(retry).toHaveLength(2);
    const first = retry[0]!.getAttribute('data-testid')!.replace('sync-retry-', '');
    expect(screen.getByTestId(`sync-error-${first}`).textContent).toContain('paxos 422');
    fireEvent.click(retry[0]!);
    await waitFor(() => expect(screen.queryByTestId(`sync-retry-${first}`)).toBeNull());

    // The list reloads after a retry: wait for it to show the message still waiting.
    const second = (await screen.findAllByTestId(/^sync-retry-/))[0]!.getAttribute('data-testid')!.replace('sync-retry-', '');
    expect(second).not.toBe(first);
    fireEvent.click(screen.getByTestId(`sync-discard-${second}`));
    fireEvent.change(await screen.findByTestId('discard-dialog-reason'), { target: { value: 'Already at the provider' } });
    fireEvent.click(screen.getByTestId('discard-dialog-confirm'));
    await waitFor(() => expect(backend.outbox.find((m) => m.id === second)?.status).toBe('discarded'));
  });

  it('focuses the search with / and opens a customer from the results', async () => {
    await backend.createCustomer(individualInput('Q-1'));
    const other = await backend.createCustomer(
      individualInput('Q-2', { person: { first_name: 'Ben', middle_name: null, last_name: 'Okafor', date_of_birth: '1970-01-01', country_of_citizenship: null, country_of_birth: null, occupation: null } }),
    );
    render(<App backend={backend} />);
    await go('#/dashboard');
    fireEvent.keyDown(document.body, { key: '/' });
    const input = screen.getByTestId('global-search');
    expect(document.activeElement).toBe(input);
    fireEvent.change(input, { target: { value: 'okaf' } });
    const hit = await screen.findByTestId('search-result-Q-2');
    expect(screen.queryByTestId('search-result-Q-1')).toBeNull();
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(screen.getByTestId('customer-page').getAttribute('data-customer-id')).toBe(other.id));
    expect(hit).toBeTruthy();
  });

  it('says what to do when there are no customers yet', async () => {
    render(<App backend={backend} />);
    await go('#/customers');
    const empty = await screen.findByTestId('customers-empty');
    expect(empty.textContent).toContain('No customers yet');
    expect(within(empty).getByRole('link', { name: 'Onboard one' })).toBeTruthy();
  });

  it('finds customers by email prefix from the top bar, and says when a search is refused', async () => {
    await person('E-1', 'Zoë', 'Okafor', 'z.okafor@mail.test');
    await person('E-2', 'Anna', 'Schmidt', 'anna@example.com');
    render(<App backend={backend} />);
    await go('#/dashboard');
    const input = screen.getByTestId('global-search');
    fireEvent.focus(input);
    fireEvent.change(input, { target: { value: 'okafor@mail' } });
    await screen.findByTestId('search-result-E-1');
    expect(screen.queryByTestId('search-result-E-2')).toBeNull();
    fireEvent.change(input, { target: { value: 'ZOE' } });
    await screen.findByTestId('search-result-E-1');
    fireEvent.change(input, { target: { value: 'a b c d e f g h i' } });
    const refused = await screen.findByTestId('global-search-error');
    expect(refused.getAttribute('data-code')).toBe('too_long');
    expect(refused.textContent).toContain('Search has more than 8 words.');
  });

  it('searches the customers table as you type, keeps the search in views and the CSV export, and clears it with Esc', async () => {
    await person('T-1', 'Anna', 'Schmidt', 'anna.schmidt@example.com');
    await person('T-2', 'Anton', 'Müller', 'anton@example.com');
    await person('T-3', 'Zoë', 'Okafor', 'zoe@example.com');
    render(<App backend={backend} />);
    await go('#/customers');
    await screen.findByTestId('customer-row-T-3');
    const box = screen.getByTestId('filter-search');
    expect(screen.getByLabelText('Search')).toBe(box);
    const calls = vi.spyOn(backend, 'listQueue');
    box.focus();
    fireEvent.change(box, { target: { value: 'a' } });
    fireEvent.change(box, { target: { value: 'an' } });
    fireEvent.change(box, { target: { value: 'an mu' } });
    await waitFor(() => expect(window.location.hash).toBe('#/customers?search=an+mu'));
    await screen.findByTestId('customer-row-T-2');
    await waitFor(() => expect(screen.queryByTestId('customer-row-T-1')).toBeNull());
    // Debounced: one request for the three keystrokes.
    expect(calls.mock.calls.map(([q]) => q.search).filter((s) => s !== undefined)).toEqual(['an mu']);
    expect(document.activeElement).toBe(box);
    expect(screen.getByTestId('filters-clear')).toHaveProperty('disabled', false);

    // The CSV export is of the current view, search included.
    URL.createObjectURL = vi.fn(() => 'blob:csv');
    URL.revokeObjectURL = vi.fn();
    const download = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    fireEvent.click(screen.getByTestId('export-csv'));
    await waitFor(() => expect(download).toHaveBeenCalled());
    expect(calls.mock.calls.at(-1)![0]).toMatchObject({ search: 'an mu', limit: 500 });

    // Saved with the view.
    fireEvent.click(screen.getByTestId('view-save'));
    fireEvent.change(await screen.findByTestId('save-view-name'), { target: { value: 'Mullers' } });
    fireEvent.click(screen.getByTestId('save-view-confirm'));
    expect(JSON.parse(window.localStorage.getItem('dossier.savedViews.v1')!)[0].query.search).toBe('an mu');

    // Esc clears at once; a preset view clears the box too.
    fireEvent.keyDown(box, { key: 'Escape' });
    expect(box).toHaveProperty('value', '');
    await screen.findByTestId('customer-row-T-1');
    expect(window.location.hash).toBe('#/customers');
    fireEvent.click(screen.getByTestId('view-saved-mullers'));
    await waitFor(() => expect(box).toHaveProperty('value', 'an mu'));
    fireEvent.click(screen.getByTestId('view-preset-all'));
    await waitFor(() => expect(box).toHaveProperty('value', ''));
  });

  it("shows a customer's own sync messages, asked of the backend by customer", async () => {
    await backend.setProvider({ name: 'cybrid', base_url: 'http://127.0.0.1:1', client_id: null, client_secret: null, tenant: null });
    const mine = await backend.createCustomer(individualInput('Y-1'));
    await backend.createCustomer(individualInput('Y-2'));
    const calls = vi.spyOn(backend, 'syncList');
    render(<App backend={backend} />);
    await go(`#/customers/${mine.id}/sync`);
    await screen.findByTestId('customer-sync-cybrid');
    const rows = screen.getAllByTestId(/^customer-sync-row-/);
    expect(rows).toHaveLength(1);
    const own = backend.outbox.find((m) => m.aggregate_id === mine.id)!;
    expect(rows[0]!.getAttribute('data-testid')).toBe(`customer-sync-row-${own.id}`);
    expect(calls.mock.calls.every(([q]) => q.customer === mine.id)).toBe(true);
  });
});
