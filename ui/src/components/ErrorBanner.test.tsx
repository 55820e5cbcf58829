import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { BackendError, toBackendError } from '../backend/Backend';
import { ErrorBanner, describeError, sentence } from './ErrorBanner';

describe('error rendering', () => {
  it('turns messages into sentences', () => {
    expect(sentence('no customer with that id: check the id')).toBe('No customer with that id: check the id.');
    expect(sentence('Done.')).toBe('Done.');
  });

  it('shows a sentence with the code in small type, and each reason, never JSON', () => {
    const error = new BackendError({
      status: 400,
      code: 'invalid_input',
      message: '2 fields are invalid: see reasons',
      reasons: [
        { code: 'required', message: 'ref_id is required and must not be empty', field: 'ref_id' },
        { code: 'invalid_email', message: 'contacts[0].value is not a valid email address', field: 'contacts[0].value' },
      ],
    });
    render(<ErrorBanner error={error} />);
    const banner = screen.getByTestId('error-banner');
    expect(banner.textContent).toContain('2 fields are invalid: see reasons.');
    expect(screen.getByTestId('error-banner-code').textContent).toBe('invalid_input');
    expect(screen.getByTestId('error-banner-reason-invalid_email').textContent).toContain('contacts[0].value · invalid_email');
    expect(banner.textContent).not.toContain('{');
  });

  it('labels gate reasons in human words', () => {
    const d = describeError(
      new BackendError({
        status: 403,
        code: 'domain_rule_violation',
        message: 'cannot verify: 1 rule not met: primary_address_missing',
        reasons: [{ code: 'primary_address_missing', message: 'no primary address: add one' }],
      }),
    );
    expect(d.reasons[0]!.text).toBe('No primary address — no primary address: add one.');
    expect(d.lead).toBe('Not allowed right now.');
  });

  it('normalises whatever a rejected invoke gives', () => {
    const fromBody = toBackendError({ status: 409, code: 'ref_id_exists', message: 'taken', reasons: [] });
    expect(fromBody.code).toBe('ref_id_exists');
    const fromString = toBackendError('command get_customer not found');
    expect(fromString.code).toBe('internal_error');
    expect(fromString.message).toBe('command get_customer not found');
    const fromJsonString = toBackendError(JSON.stringify({ status: 404, code: 'customer_not_found', message: 'no customer', reasons: [] }));
    expect(fromJsonString.status).toBe(404);
    expect(toBackendError(undefined).status).toBe(500);
  });
});
