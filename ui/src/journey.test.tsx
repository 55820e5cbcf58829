// The end-to-end journeys, run against the in-memory test double with the test ids the
// WebDriver tests use: onboard → refused → fix → verify → activate → EDD → evidence → decide
// → find in "EDD passed"; and a business with two members.
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { App } from './App';
import { MemoryBackend } from './backend/memory';

function set(testId: string, value: string) {
  fireEvent.change(screen.getByTestId(testId), { target: { value } });
}

async function go(hash: string) {
  await act(async () => {
    window.location.hash = hash;
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  });
}

const ruleState = (level: string, code: string) => screen.getByTestId(`gate-${level}-rule-${code}`).getAttribute('data-state');

describe('journeys', () => {
  let backend: MemoryBackend;

  beforeEach(() => {
    backend = new MemoryBackend({ actor: 'officer.kim' });
    window.location.hash = '';
  });

  afterEach(() => {
    window.location.hash = '';
  });

  it('onboards an individual, is refused, fixes, verifies, activates, passes EDD and finds the customer', async () => {
    render(<App backend={backend} />);
    await go('#/onboard');
    await screen.findByTestId('onboard-ref-id');

    set('onboard-ref-id', 'J-0001');
    set('person-first-name', 'Ana');
    set('person-last-name', 'Silva');
    set('person-dob', '1988-04-12');
    set('address-0-street', '742 Evergreen Terrace');
    set('address-0-city', 'Springfield');
    set('address-0-country', 'us');
    set('contact-0-value', 'ana@example.com');
    fireEvent.click(screen.getByTestId('contact-0-verified'));
    set('contact-1-value', '+1 217 555 0142');
    set('document-0-number', 'X12345678');
    set('document-0-country', 'US');
    set('document-0-expires', '2099-01-01');
    backend.filesToPick.push('/home/clerk/scans/passport-front.jpg');
    fireEvent.click(screen.getByTestId('document-0-attach'));
    await screen.findByTestId('document-0-file-0');
    expect(screen.getByTestId('document-0-file-0-thumb').textContent).toContain('passport-front.jpg');
    await waitFor(() => expect(screen.getByTestId('document-0-file-0-thumb').getAttribute('data-state')).toBe('image'));
    // A typed path is attached too, and a file that is not a scan is refused beside the path.
    set('document-0-file-path', '/home/clerk/scans/notes.txt');
    fireEvent.click(screen.getByTestId('document-0-file-add'));
    const refusedScan = await screen.findByTestId('document-0-file-path-error');
    expect(refusedScan.getAttribute('data-code')).toBe('unsupported_file_type');
    expect(screen.queryByTestId('document-0-file-1')).toBeNull();
    set('document-0-file-path', '/home/clerk/scans/passport-back.jpg');
    expect(screen.queryByTestId('document-0-file-path-error')).toBeNull();
    fireEvent.click(screen.getByTestId('document-0-file-add'));
    expect(await screen.findByTestId('document-0-file-1-role')).toHaveProperty('value', 'back');
    expect(screen.getByTestId('document-0-file-path')).toHaveProperty('value', '');

    // The live checklist: only the mobile number is missing; Verify stays disabled.
    await waitFor(() => expect(ruleState('partial', 'primary_address_missing')).toBe('pass'));
    expect(ruleState('partial', 'mobile_unverified')).toBe('fail');
    expect(ruleState('partial', 'identity_document_missing')).toBe('pass');
    expect(ruleState('partial', 'email_unverified')).toBe('pass');
    expect(ruleState('full', 'full_kyc_requires_tax_id_or_physical_id')).toBe('pass');
    expect(screen.getByTestId('verify-partial')).toHaveProperty('disabled', true);
    expect(screen.getByTestId('gate-partial-status').textContent).toBe('1 missing');

    fireEvent.click(screen.getByTestId('onboard-save'));
    const saved = await screen.findByTestId('onboard-saved');
    const id = saved.getAttribute('data-customer-id')!;
    expect(screen.getByTestId('onboard-state').textContent).toBe('Pending');
    const stored = (name: string) => [...backend.files.values()].find((f) => f.name === name)!.reference;
    expect(backend.customers[0]!.documents[0]!.files).toEqual([
      { role: 'front', reference: stored('passport-front.jpg') },
      { role: 'back', reference: stored('passport-back.jpg') },
    ]);
    expect(screen.getByTestId('saved-contact-0-status').textContent).toContain('Verified');
    expect(ruleState('partial', 'mobile_unverified')).toBe('fail');
    expect(screen.getByTestId('verify-partial')).toHaveProperty('disabled', true);

    // The server refuses a verify that skips the gate, with every missing rule.
    await expect(backend.verifyCustomer(id, 'partial', null)).rejects.toMatchObject({
      body: { status: 403, code: 'domain_rule_violation', reasons: [{ code: 'mobile_unverified' }] },
    });

    // Fix: verify the mobile number.
    fireEvent.click(screen.getByTestId('saved-contact-1-verify'));
    await screen.findByTestId('verify-contact-dialog');
    set('verify-contact-method', 'in_person');
    fireEvent.click(screen.getByTestId('verify-contact-confirm'));
    await waitFor(() => expect(ruleState('partial', 'mobile_unverified')).toBe('pass'));
    await waitFor(() => expect(screen.getByTestId('verify-full')).toHaveProperty('disabled', false));

    fireEvent.click(screen.getByTestId('verify-full'));
    await waitFor(() => expect(screen.getByTestId('onboard-state').textContent).toBe('Verified'));
    expect(screen.getByTestId('onboard-level').textContent).toBe('Full');

    fireEvent.click(screen.getByTestId('activate'));
    await waitFor(() => expect(screen.getByTestId('onboard-state').textContent).toBe('Active'));

    // The customer page: open an EDD case.
    await go(`#/customers/${id}`);
    await screen.findByTestId('customer-page');
    expect(screen.getByTestId('customer-state').textContent).toBe('Active');
    fireEvent.click(screen.getByTestId('action-open-edd'));
    await screen.findByTestId('edd-tab');
    const work = await screen.findByTestId('case-work');
    expect(within(work).getByTestId('case-state').textContent).toBe('Storing');

    // Passing without evidence is refused, listing the missing items.
    fireEvent.click(screen.getByTestId('decide-outcome-passed'));
    set('decide-reason', 'Source of wealth documented');
    fireEvent.click(screen.getByTestId('decide-submit'));
    const refused = await screen.findByTestId('decide-error');
    expect(refused.getAttribute('data-code')).toBe('edd_evidence_missing');

    for (const item of ['proof_of_address', 'source_of_funds', 'source_of_wealth']) {
      backend.filesToPick.push(`/home/officer/scans/${item}.pdf`);
      fireEvent.click(screen.getByTestId(`evidence-attach-${item}`));
      await screen.findByTestId('evidence-dialog');
      fireEvent.click(screen.getByTestId('evidence-browse'));
      expect((await screen.findByTestId('evidence-attached')).textContent).toContain(`${item}.pdf`);
      set('evidence-description', `Evidence for ${item}`);
      fireEvent.click(screen.getByTestId('evidence-save'));
      await waitFor(() => expect(screen.getByTestId(`checklist-item-${item}`).getAttribute('data-satisfied')).toBe('true'));
    }
    // As the WebDriver test does: type the path and Attach; a wrong file is refused first.
    fireEvent.click(screen.getByTestId('evidence-attach-purpose_of_account'));
    await screen.findByTestId('evidence-dialog');
    set('evidence-reference', '/home/officer/scans/purpose.docx');
    fireEvent.click(screen.getByTestId('evidence-save'));
    expect((await screen.findByTestId('evidence-path-error')).getAttribute('data-code')).toBe('unsupported_file_type');
    expect(screen.getByTestId('evidence-dialog')).toBeTruthy();
    set('evidence-reference', '/home/officer/scans/purpose.pdf');
    fireEvent.click(screen.getByTestId('evidence-save'));
    await waitFor(() => expect(screen.getByTestId('checklist-item-purpose_of_account').getAttribute('data-satisfied')).toBe('true'));
    const purpose = within(screen.getByTestId('checklist-item-purpose_of_account'));
    // The name it was attached under, and the PDF's first page drawn as a picture, never embedded.
    await waitFor(() => expect(purpose.getByTestId(/-scan$/).getAttribute('data-state')).toBe('pdf'));
    expect(purpose.getByTestId(/-scan$/).textContent).toContain('purpose.pdf');
    expect(purpose.getByTestId(/-scan$/).textContent).toContain('PDF · 2 pages');
    expect(document.querySelector('iframe, embed, object')).toBeNull();

    fireEvent.click(screen.getByTestId('decide-submit'));
    // Four-eyes: the decision waits for a second supervisor, shown on the case.
    expect(await screen.findByTestId('case-pending-approvals')).toBeTruthy();
    backend.users.push({ name: 'sam', roles: ['supervisor'], active: true, password: 'sam-password-1', created_at: '2026-01-01T00:00:00Z' });
    fireEvent.click(screen.getByTestId('lock-now'));
    await screen.findByText('Sign in to Dossier');
    set('lock-passphrase', 'memory passphrase');
    set('lock-user', 'sam');
    set('lock-password', 'sam-password-1');
    fireEvent.click(screen.getByTestId('lock-submit'));
    await go('#/approvals');
    fireEvent.click(await screen.findByTestId(/^approval-approve-/));
    await waitFor(() => expect(backend.approvalList[0]!.state).toBe('approved'));
    await go(`#/customers/${id}`);
    await waitFor(() => expect(screen.getByTestId('customer-edd-status').textContent).toBe('EDD passed'));

    // The Documents tab names scans by side (documents keep only the reference).
    await go(`#/customers/${id}/documents`);
    const front = await screen.findByTestId('document-0-file-0');
    expect(front.textContent).toContain('Scan (front)');
    await waitFor(() => expect(front.getAttribute('data-state')).toBe('image'));
    fireEvent.click(front);
    expect((await screen.findByTestId('file-viewer-image')).getAttribute('src')).toMatch(/^(data:image\/png;base64,|blob:)/);
    fireEvent.keyDown(document, { key: 'Escape' });

    // Found in the "EDD passed" view.
    await go('#/customers');
    fireEvent.click(await screen.findByTestId('view-preset-edd-passed'));
    await screen.findByTestId('customer-row-J-0001');
    expect(screen.getByTestId('filter-edd')).toHaveProperty('value', 'passed');
    expect(backend.decisionLog.at(-1)).toMatchObject({ kind: 'edd', outcome: 'passed', decided_by: 'officer.kim' });
  });

  it('onboards a business with two members', async () => {
    render(<App backend={backend} />);
    await go('#/onboard');
    await screen.findByTestId('onboard-ref-id');
    fireEvent.click(screen.getByTestId('onboard-type-business'));
    await screen.findByTestId('inst-legal-name');

    set('onboard-ref-id', 'B-0001');
    set('inst-legal-name', 'Northwind Trading LLC');
    set('inst-country', 'US');
    set('member-0-first-name', 'Grace');
    set('member-0-last-name', 'Hopper');
    set('member-0-ownership', '60.5');
    fireEvent.click(screen.getByTestId('member-0-role-BENEFICIAL_OWNER'));
    fireEvent.click(screen.getByTestId('member-0-role-MANAGEMENT_CONTROL_PERSON'));
    fireEvent.click(screen.getByTestId('member-0-control'));
    fireEvent.click(screen.getByTestId('member-add'));
    set('member-1-first-name', 'Alan');
    set('member-1-last-name', 'Turing');
    set('member-1-ownership', '39.5');
    fireEvent.click(screen.getByTestId('member-1-role-BENEFICIAL_OWNER'));
    set('address-0-street', '1 Market St');
    set('address-0-city', 'San Francisco');
    set('address-0-country', 'US');
    set('contact-0-value', 'ops@northwind.example');
    fireEvent.click(screen.getByTestId('contact-0-verified'));
    set('contact-1-value', '+14155550100');
    fireEvent.click(screen.getByTestId('contact-1-verified'));
    set('document-0-number', 'C-778899');
    set('document-0-country', 'US');
    fireEvent.click(screen.getByTestId('tax-add'));
    set('tax-0-id', '12-3456789');

    await waitFor(() => expect(screen.getByTestId('gate-full').getAttribute('data-passes')).toBe('true'));
    expect(screen.queryByTestId('gate-field-errors')).toBeNull();
    fireEvent.click(screen.getByTestId('verify-partial'));
    await waitFor(() => expect(screen.getByTestId('onboard-state').textContent).toBe('Verified'));

    expect(screen.getByTestId('saved-member-0').textContent).toContain('Grace Hopper');
    expect(screen.getByTestId('saved-member-1').textContent).toContain('39.5 %');
    const stored = backend.customers.find((c) => c.ref_id === 'B-0001')!;
    expect(stored.institution?.members.map((m) => [m.first_name, m.ownership_percentage, m.is_control_person, m.roles])).toEqual([
      ['Grace', '60.5', true, ['BENEFICIAL_OWNER', 'MANAGEMENT_CONTROL_PERSON']],
      ['Alan', '39.5', false, ['BENEFICIAL_OWNER']],
    ]);
    expect(stored.tax.map((t) => t.tax_id_type)).toEqual(['EIN']);
  });

  it('shows field errors next to their fields after a refused save', async () => {
    render(<App backend={backend} />);
    await go('#/onboard');
    await screen.findByTestId('onboard-ref-id');
    set('address-0-country', 'XX');
    await screen.findByTestId('field-error-addresses-0-country');
    expect(screen.queryByTestId('field-error-ref_id')).toBeNull();
    fireEvent.click(screen.getByTestId('onboard-save'));
    await screen.findByTestId('field-error-ref_id');
    expect(screen.getByTestId('field-error-person-first_name').textContent).toContain('required');
    expect(screen.getByTestId('onboard-error').getAttribute('data-code')).toBe('invalid_input');
  });
});
