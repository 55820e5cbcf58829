import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { BackendError } from '../backend/Backend';
import type { GateView } from '../bindings/GateView';
import { GateChecklist, checklistRows } from './GateChecklist';

const gate: GateView = {
  partial: {
    passes: false,
    reasons: [{ code: 'mobile_unverified', label: 'Mobile number not verified yet', message: 'no verified mobile number: verify it' }],
  },
  full: {
    passes: false,
    reasons: [
      { code: 'mobile_unverified', label: 'Mobile number not verified yet', message: 'no verified mobile number: verify it' },
      { code: 'full_kyc_requires_tax_id_or_physical_id', label: 'Full verification needs a tax id or a physical ID', message: 'full needs…' },
    ],
  },
};

describe('GateChecklist', () => {
  it('lists every rule of each level in the gate order with ticks and crosses', () => {
    render(<GateChecklist gate={gate} />);
    const partial = screen.getByTestId('gate-partial');
    const items = within(partial).getAllByRole('listitem');
    expect(items.map((li) => li.getAttribute('data-testid'))).toEqual([
      'gate-partial-rule-primary_address_missing',
      'gate-partial-rule-identity_document_missing',
      'gate-partial-rule-email_unverified',
      'gate-partial-rule-mobile_unverified',
    ]);
    expect(items.map((li) => li.getAttribute('data-state'))).toEqual(['pass', 'pass', 'pass', 'fail']);
    expect(within(items[3]!).getByText('Mobile number not verified yet')).toBeTruthy();
    expect(within(items[3]!).getByText('mobile_unverified')).toBeTruthy();
    expect(within(items[0]!).getByText('Primary address')).toBeTruthy();

    const full = within(screen.getByTestId('gate-full')).getAllByRole('listitem');
    expect(full).toHaveLength(5);
    expect(full[4]!.getAttribute('data-testid')).toBe('gate-full-rule-full_kyc_requires_tax_id_or_physical_id');
    expect(full[4]!.getAttribute('data-state')).toBe('fail');
    expect(screen.getByTestId('gate-partial-status').textContent).toBe('1 missing');
    expect(screen.getByTestId('gate-full-status').textContent).toBe('2 missing');
  });

  it('shows unknown marks while there is no gate, and the field errors', () => {
    render(
      <GateChecklist
        gate={null}
        fieldErrors={[
          { code: 'invalid_country', message: 'addresses[0].country is not an ISO 3166-1 alpha-2 country code', field: 'addresses[0].country' },
        ]}
      />,
    );
    const states = within(screen.getByTestId('gate-partial'))
      .getAllByRole('listitem')
      .map((li) => li.getAttribute('data-state'));
    expect(states).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    expect(screen.getByTestId('gate-partial-status').textContent).toBe('Waiting for the form');
    const fe = screen.getByTestId('gate-field-error-addresses-0-country');
    expect(fe.textContent).toContain('Addresses[0].country is not an ISO 3166-1 alpha-2 country code.');
    expect(fe.textContent).toContain('invalid_country');
  });

  it('puts codes it does not know after the known rules', () => {
    const rows = checklistRows('partial', {
      passes: false,
      reasons: [{ code: 'brand_new_rule', label: 'Something new', message: 'x' }],
    });
    expect(rows.map((r) => r.code).at(-1)).toBe('brand_new_rule');
    expect(rows.at(-1)!.state).toBe('fail');
  });

  it('shows a refused verify with the server reasons in the same panel', () => {
    const error = new BackendError({
      status: 403,
      code: 'domain_rule_violation',
      message: 'cannot verify: 1 rule not met: email_unverified',
      reasons: [{ code: 'email_unverified', message: "no verified email: verify the customer's email address" }],
    });
    render(<GateChecklist gate={gate} refusal={{ action: 'Verify — partial', error }} />);
    const refusal = screen.getByTestId('gate-refusal');
    expect(refusal.textContent).toContain('Verify — partial was refused: Cannot verify: 1 rule not met: email_unverified.');
    expect(screen.getByTestId('gate-refusal-reason-email_unverified').textContent).toContain('Email not verified yet');
  });
});
