// TEST DOUBLE support: input validation for the in-memory backend, following the field rules
// of docs/cli.md and docs/reason-codes.md closely enough that forms show realistic field errors.
// The Rust side (dossier-app/src/convert.rs) is the authority; this is not shipped logic.

import type { AddressInput } from '../bindings/AddressInput';
import type { ContactInput } from '../bindings/ContactInput';
import type { CreateCustomerInput } from '../bindings/CreateCustomerInput';
import type { DocumentInput } from '../bindings/DocumentInput';
import type { MemberInput } from '../bindings/MemberInput';
import type { Reason } from '../bindings/Reason';
import type { TaxDetailInput } from '../bindings/TaxDetailInput';
import { isCountryCode } from '../countries';
import {
  ADDRESS_KINDS,
  ACTIVITY_LEVELS,
  CONTACT_KINDS,
  DOCUMENT_STATUSES,
  DOCUMENT_TYPES,
  FILE_ROLES,
  MEMBER_ROLES,
  TAX_ID_TYPES,
} from './vocab';

export class Fields {
  readonly reasons: Reason[] = [];

  push(field: string, code: string, message: string): void {
    this.reasons.push({ code, message, field });
  }

  /** A required text; returns the trimmed value or null after recording `required`. */
  req(field: string, raw: string | null | undefined, max = 200): string | null {
    const v = (raw ?? '').trim();
    if (!v) {
      this.push(field, 'required', `${field} is required and must not be empty`);
      return null;
    }
    if (v.length > max) {
      this.push(field, 'too_long', `${field} is too long: at most ${max} characters`);
      return null;
    }
    return v;
  }

  opt(field: string, raw: string | null | undefined, max = 200): string | null {
    const v = (raw ?? '').trim();
    if (!v) return null;
    if (v.length > max) {
      this.push(field, 'too_long', `${field} is too long: at most ${max} characters`);
      return null;
    }
    return v;
  }

  oneOf(field: string, raw: string | null | undefined, allowed: readonly string[], required = true): string | null {
    const v = (raw ?? '').trim();
    if (!v) {
      if (required) this.push(field, 'required', `${field} is required and must not be empty`);
      return null;
    }
    if (!allowed.includes(v)) {
      this.push(field, 'unknown_value', `${field} is not one of: ${allowed.join(', ')}`);
      return null;
    }
    return v;
  }

  country(field: string, raw: string | null | undefined, required: boolean): string | null {
    const v = (raw ?? '').trim();
    if (!v) {
      if (required) this.push(field, 'required', `${field} is required and must not be empty`);
      return null;
    }
    if (!isCountryCode(v)) {
      this.push(field, 'invalid_country', `${field} is not an ISO 3166-1 alpha-2 country code such as US or DE`);
      return null;
    }
    return v.toUpperCase();
  }

  date(field: string, raw: string | null | undefined, required: boolean, today: string, past = false): string | null {
    const v = (raw ?? '').trim();
    if (!v) {
      if (required) this.push(field, 'required', `${field} is required and must not be empty`);
      return null;
    }
    if (!isValidDate(v) || (past && v > today)) {
      this.push(field, 'invalid_date', `${field} is not a valid date: use YYYY-MM-DD`);
      return null;
    }
    return v;
  }
}

export function isValidDate(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const [y, m, d] = v.split('-').map(Number) as [number, number, number];
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

export function normalisePhone(raw: string): string | null {
  const cleaned = raw.trim().replace(/[\s.\-()]/g, '');
  if (!cleaned.startsWith('+')) return null;
  const digits = cleaned.slice(1);
  if (!/^\d{8,15}$/.test(digits) || digits.startsWith('0')) return null;
  return `+${digits}`;
}

export function normaliseEmail(raw: string): string | null {
  const v = raw.trim();
  if (v.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return null;
  const [local, domain] = v.split('@') as [string, string];
  return `${local}@${domain.toLowerCase()}`;
}

export function validAddress(f: Fields, path: string, a: AddressInput): void {
  f.oneOf(`${path}.kind`, a.kind, ADDRESS_KINDS);
  f.req(`${path}.street_address`, a.street_address);
  f.opt(`${path}.street_address_2`, a.street_address_2);
  f.req(`${path}.city`, a.city, 100);
  f.opt(`${path}.state`, a.state, 100);
  f.opt(`${path}.postal_code`, a.postal_code, 20);
  f.country(`${path}.country`, a.country, true);
}

export function validContact(f: Fields, path: string, c: ContactInput): string | null {
  const kind = f.oneOf(`${path}.kind`, c.kind, CONTACT_KINDS);
  if (!kind) return null;
  const value = f.req(`${path}.value`, c.value, 254);
  if (!value) return null;
  if (kind === 'email') {
    const email = normaliseEmail(value);
    if (!email) f.push(`${path}.value`, 'invalid_email', `${path}.value is not a valid email address`);
    return email;
  }
  const phone = normalisePhone(value);
  if (!phone) {
    f.push(
      `${path}.value`,
      'invalid_phone_number',
      `${path}.value is not a valid mobile number: use E.164, a plus sign and 8 to 15 digits, like +14155550100`,
    );
  }
  return phone;
}

export function validDocument(f: Fields, path: string, d: DocumentInput, today: string): void {
  f.oneOf(`${path}.type`, d.type, DOCUMENT_TYPES);
  const number = f.req(`${path}.number`, d.number, 64);
  if (number && !/^[A-Za-z0-9 -]+$/.test(number)) {
    f.push(
      `${path}.number`,
      'invalid_document_number',
      `${path}.number is not a valid document number: use letters, digits, spaces and hyphens`,
    );
  }
  f.country(`${path}.issuing_country`, d.issuing_country, true);
  const issued = f.date(`${path}.issued_on`, d.issued_on, false, today, true);
  const expires = f.date(`${path}.expires_on`, d.expires_on, false, today);
  f.oneOf(`${path}.status`, d.status, DOCUMENT_STATUSES, false);
  if (issued && expires && expires < issued) {
    f.push(`${path}.expires_on`, 'expires_before_issued', `${path}.expires_on is before issued_on: check both dates`);
  }
  d.files.forEach((file, i) => {
    f.oneOf(`${path}.files[${i}].role`, file.role, FILE_ROLES);
    f.req(`${path}.files[${i}].reference`, file.reference, 1024);
  });
}

export function validTaxDetail(f: Fields, path: string, t: TaxDetailInput): string | null {
  const kind = f.oneOf(`${path}.tax_id_type`, t.tax_id_type, TAX_ID_TYPES);
  f.country(`${path}.country`, t.country, true);
  const raw = f.req(`${path}.tax_id`, t.tax_id, 64);
  if (!kind || !raw) return null;
  if (kind === 'OTHER') return raw;
  const digits = raw.replace(/[-\s]/g, '');
  if (!/^\d{9}$/.test(digits)) {
    f.push(`${path}.tax_id`, 'invalid_tax_id', `${path}.tax_id is not a valid ${kind}: use nine digits`);
    return null;
  }
  if (kind === 'ITIN' && !digits.startsWith('9')) {
    f.push(`${path}.tax_id`, 'invalid_tax_id', `${path}.tax_id is not a valid ITIN: it starts with 9`);
    return null;
  }
  return digits;
}

export function validPercentage(raw: MemberInput['ownership_percentage']): string | null | 'invalid' {
  if (raw === null || raw === undefined || raw === '') return null;
  const text = String(raw).trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return 'invalid';
  // Compare as scaled integers (hundredths of a percent and finer) to avoid floats.
  const [int = '0', frac = ''] = text.split('.');
  if (Number(int) > 100 || (Number(int) === 100 && /[1-9]/.test(frac))) return 'invalid';
  return text;
}

/**
 * Sum of decimal strings, exactly, as an integer scaled by 10^6 (millionths). The inputs are
 * validated percentages (at most 100 each), so every partial sum stays far below 2^53 and the
 * integer arithmetic is exact without bigint.
 */
export function sumScaled(values: string[]): number {
  let total = 0;
  for (const v of values) {
    const [int = '0', frac = ''] = v.split('.');
    total += Number(int) * 1_000_000 + Number((frac + '000000').slice(0, 6));
  }
  return total;
}

export function validMember(f: Fields, path: string, m: MemberInput, today: string): string | null {
  f.req(`${path}.first_name`, m.first_name, 100);
  f.req(`${path}.last_name`, m.last_name, 100);
  f.opt(`${path}.title`, m.title, 100);
  m.roles.forEach((r, i) => f.oneOf(`${path}.roles[${i}]`, r, MEMBER_ROLES));
  const pct = validPercentage(m.ownership_percentage);
  if (pct === 'invalid') {
    f.push(
      `${path}.ownership_percentage`,
      'invalid_percentage',
      `${path}.ownership_percentage must be a decimal number from 0 to 100`,
    );
  }
  f.date(`${path}.date_of_birth`, m.date_of_birth, false, today, true);
  if (m.person_customer_id && !/^[0-9a-f-]{36}$/i.test(m.person_customer_id.trim())) {
    f.push(`${path}.person_customer_id`, 'unknown_value', `${path}.person_customer_id is not one of: a customer id`);
  }
  return pct === 'invalid' ? null : pct;
}

/** Every field error of a customer document, in the order the Rust side reports them. */
export function validateCreate(input: CreateCustomerInput, today: string): Reason[] {
  const f = new Fields();
  const type = f.oneOf('type', input.type, ['individual', 'business']);
  const ref = f.req('ref_id', input.ref_id, 64);
  if (ref && !/^[A-Za-z0-9._:-]{1,64}$/.test(ref)) {
    f.push('ref_id', 'invalid_ref_id', 'ref_id is not allowed: use letters, digits and . _ : - (1 to 64 characters)');
  }
  if (type === 'individual') {
    if (input.institution) f.push('institution', 'not_allowed', 'institution is only for type business: remove it');
    const p = input.person;
    if (!p) {
      f.push('person', 'required', 'person is required for type individual');
    } else {
      f.req('person.first_name', p.first_name, 100);
      f.opt('person.middle_name', p.middle_name, 100);
      f.req('person.last_name', p.last_name, 100);
      f.date('person.date_of_birth', p.date_of_birth, true, today, true);
      f.country('person.country_of_citizenship', p.country_of_citizenship, false);
      f.country('person.country_of_birth', p.country_of_birth, false);
      f.opt('person.occupation', p.occupation);
    }
  } else if (type === 'business') {
    if (input.person) f.push('person', 'not_allowed', 'person is only for type individual: remove it');
    const i = input.institution;
    if (!i) {
      f.push('institution', 'required', 'institution is required for type business');
    } else {
      f.req('institution.legal_name', i.legal_name);
      f.opt('institution.doing_business_as_name', i.doing_business_as_name);
      f.date('institution.incorporation_date', i.incorporation_date, false, today, true);
      f.country('institution.country_of_formation', i.country_of_formation, true);
      f.opt('institution.industry_type', i.industry_type, 100);
      f.opt('institution.legal_entity_type', i.legal_entity_type, 100);
      f.opt('institution.website', i.website);
      f.opt('institution.business_description', i.business_description, 2000);
      const pcts = i.members.map((m, n) => validMember(f, `institution.members[${n}]`, m, today));
      const known = pcts.filter((p): p is string => typeof p === 'string');
      if (sumScaled(known) > 100_000_000) {
        f.push(
          'institution.members',
          'ownership_exceeds_100',
          'institution.members ownership percentages add up to more than 100: correct them',
        );
      }
    }
  }
  input.addresses.forEach((a, i) => validAddress(f, `addresses[${i}]`, a));
  if (input.addresses.filter((a) => a.primary).length > 1) {
    f.push('addresses', 'multiple_primary_addresses', 'only one address can be primary');
  }
  input.contacts.forEach((c, i) => validContact(f, `contacts[${i}]`, c));
  input.documents.forEach((d, i) => validDocument(f, `documents[${i}]`, d, today));
  input.tax_details.forEach((t, i) => validTaxDetail(f, `tax_details[${i}]`, t));
  if (input.tax_details_not_required && input.tax_details.length > 0) {
    f.push(
      'tax_details_not_required',
      'conflicting_fields',
      'tax_details_not_required cannot be true when tax_details are given: choose one',
    );
  }
  const dd = input.customer_due_diligence;
  if (dd) {
    f.opt('customer_due_diligence.source_of_funds', dd.source_of_funds);
    f.opt('customer_due_diligence.source_of_wealth', dd.source_of_wealth);
    f.opt('customer_due_diligence.purpose_of_account', dd.purpose_of_account);
    f.oneOf('customer_due_diligence.expected_activity_level', dd.expected_activity_level, ACTIVITY_LEVELS, false);
  }
  f.date('last_kyc_refresh_date', input.last_kyc_refresh_date, false, today, true);
  const keys = Object.keys(input.metadata);
  if (keys.some((k) => k.length < 1 || k.length > 64)) {
    f.push('metadata', 'invalid_metadata_key', 'metadata keys must be 1 to 64 characters');
  }
  if (keys.length > 50) f.push('metadata', 'too_many_metadata_keys', 'metadata holds at most 50 keys');
  return f.reasons;
}
