import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { BackendError, toBackendError } from '../backend/Backend';
import { CODE_WORDS, codeWords, isErrorCode } from '../backend/vocab';
import { ERROR_CODES } from '../bindings/ErrorCode';
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
    expect(screen.getByTestId('error-banner-lead').textContent).toBe('Some details need fixing.');
    expect(screen.getByTestId('error-banner-reason-invalid_email').textContent).toContain('contacts[0].value · invalid_email');
    expect(banner.textContent).not.toContain('{');
  });

  it('labels gate reasons in human words', () => {
    const d = describeError(
      new BackendError({
        status: 403,
        code: 'domain_rule_violation',
        message: 'cannot verify: 1 rule not met: primary_address_missing',
        reasons: [
          { code: 'email_unverified', message: "no verified email: verify the customer's email address" },
          { code: 'primary_address_missing', message: 'no primary address: add one' },
        ],
      }),
    );
    expect(d.reasons[0]!.text).toBe("Email not verified yet — no verified email: verify the customer's email address.");
    // Words the message already starts with are not said twice.
    expect(d.reasons[1]!.text).toBe('No primary address: add one.');
    expect(d.lead).toBe('Refused: not every rule is met.');
  });

  it('words codes the UI has no wording for with the catalogue meaning', () => {
    const d = describeError(
      new BackendError({
        status: 409,
        code: 'database_too_new',
        message: 'the database was written by Dossier 0.3: update this app',
        reasons: [{ code: 'invalid_currency', message: 'activity_limits.full[0].currency must be an ISO 4217 code', field: 'activity_limits.full[0].currency' }],
      }),
    );
    expect(d.lead).toBe(`${ERROR_CODES.database_too_new.meaning.replace(/^./, (c) => c.toUpperCase())}.`);
    expect(d.message).toBe('The database was written by Dossier 0.3: update this app.');
    expect(d.reasons[0]!.text).toBe('Not an ISO 4217 currency code — activity_limits.full[0].currency must be an ISO 4217 code.');
    // Every code the UI words itself is in the generated catalogue (the type checks it too).
    for (const code of Object.keys(CODE_WORDS)) expect(isErrorCode(code)).toBe(true);
  });

  it('still renders a code neither the UI nor the catalogue knows', () => {
    const error = new BackendError({
      status: 422,
      code: 'brand_new_rule',
      message: 'the provider wants a selfie',
      reasons: [{ code: 'selfie_missing', message: 'no selfie on file: take one' }],
    });
    expect(codeWords('brand_new_rule')).toBeUndefined();
    render(<ErrorBanner error={error} />);
    expect(screen.getByTestId('error-banner-lead').textContent).toBe('This cannot be done in the current state.');
    expect(screen.getByTestId('error-banner').textContent).toContain('The provider wants a selfie.');
    expect(screen.getByTestId('error-banner-code').textContent).toBe('brand_new_rule');
    expect(screen.getByTestId('error-banner-reason-selfie_missing').textContent).toContain('No selfie on file: take one. selfie_missing');
  });

  it('does not repeat a message that says what the lead says', () => {
    const d = describeError(new BackendError({ status: 409, code: 'sync_running', message: 'a sync is already running', reasons: [] }));
    expect(d.lead).toBe('A sync is already running.');
    expect(d.message).toBe('');
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
