import { describe, expect, it } from 'vitest';

import { MemoryBackend } from '../backend/memory';
import { validateCreate } from '../backend/memoryValidate';
import { emptyContact, emptyMember, emptyTax, repairForPreview, toCreateInput, verifiedKinds } from './form';
import { initialForm } from './OnboardPage';

function filledIndividual() {
  const f = initialForm('individual');
  f.ref_id = ' BR-0001 ';
  f.person = { ...f.person, first_name: 'Ana', last_name: 'Silva', date_of_birth: '1988-04-12', country_of_citizenship: 'us' };
  f.addresses[0] = { ...f.addresses[0]!, street_address: '742 Evergreen Terrace', city: 'Springfield', country: 'us' };
  f.contacts[0] = { ...f.contacts[0]!, value: 'ana@example.com', verified: true, method: 'code' };
  f.contacts[1] = { ...f.contacts[1]!, value: '+12175550142' };
  f.documents[0] = { ...f.documents[0]!, number: 'X123', issuing_country: 'US', expires_on: '2099-01-01', files: [{ role: 'front', reference: '/scans/p.jpg' }] };
  return f;
}

describe('onboarding form → CreateCustomerInput', () => {
  it('builds a valid individual: blanks are null, codes upper-cased, no institution', () => {
    const input = toCreateInput(filledIndividual());
    expect(input.type).toBe('individual');
    expect(input.ref_id).toBe('BR-0001');
    expect(input.institution).toBeNull();
    expect(input.person).toEqual({
      first_name: 'Ana',
      middle_name: null,
      last_name: 'Silva',
      date_of_birth: '1988-04-12',
      country_of_citizenship: 'US',
      country_of_birth: null,
      occupation: null,
    });
    expect(input.addresses[0]).toMatchObject({ kind: 'residential', primary: true, country: 'US', street_address_2: null });
    expect(input.documents[0]!.files).toEqual([{ role: 'front', reference: '/scans/p.jpg' }]);
    expect(input.customer_due_diligence).toBeNull();
    expect(input.metadata).toEqual({});
    expect(validateCreate(input, '2026-11-22')).toEqual([]);
    expect(verifiedKinds(filledIndividual())).toEqual(['email']);
  });

  it('builds a valid business with two members (ownership stays a decimal string)', () => {
    const f = initialForm('business');
    f.ref_id = 'B-1';
    f.institution = {
      ...f.institution,
      legal_name: 'Northwind Trading LLC',
      country_of_formation: 'us',
      members: [
        { ...emptyMember(), first_name: 'Grace', last_name: 'Hopper', roles: ['BENEFICIAL_OWNER'], ownership_percentage: '33.33', is_control_person: true },
        { ...emptyMember(), first_name: 'Alan', last_name: 'Turing', roles: ['BENEFICIAL_OWNER', 'ACCOUNT_OPENER'], ownership_percentage: '66.67' },
      ],
    };
    f.addresses = [];
    f.contacts = [];
    f.documents = [];
    f.tax_details = [{ ...emptyTax('EIN'), tax_id: '12-3456789' }];
    f.due_diligence = { source_of_funds: 'trade', source_of_wealth: '', purpose_of_account: '', expected_activity_level: 'MEDIUM' };
    const input = toCreateInput(f);
    expect(input.person).toBeNull();
    expect(input.institution!.country_of_formation).toBe('US');
    expect(input.institution!.members).toEqual([
      { first_name: 'Grace', last_name: 'Hopper', title: null, roles: ['BENEFICIAL_OWNER'], ownership_percentage: '33.33', date_of_birth: null, is_control_person: true, person_customer_id: null },
      { first_name: 'Alan', last_name: 'Turing', title: null, roles: ['BENEFICIAL_OWNER', 'ACCOUNT_OPENER'], ownership_percentage: '66.67', date_of_birth: null, is_control_person: false, person_customer_id: null },
    ]);
    expect(input.customer_due_diligence).toEqual({ source_of_funds: 'trade', source_of_wealth: null, purpose_of_account: null, expected_activity_level: 'MEDIUM' });
    expect(validateCreate(input, '2026-11-22')).toEqual([]);
  });

  it('reports members owning more than 100 % together', () => {
    const f = initialForm('business');
    f.ref_id = 'B-2';
    f.institution = {
      ...f.institution,
      legal_name: 'X',
      country_of_formation: 'US',
      members: [
        { ...emptyMember(), first_name: 'A', last_name: 'B', ownership_percentage: '50.01' },
        { ...emptyMember(), first_name: 'C', last_name: 'D', ownership_percentage: '50' },
      ],
    };
    f.addresses = [];
    f.contacts = [];
    f.documents = [];
    expect(validateCreate(toCreateInput(f), '2026-11-22').map((r) => [r.field, r.code])).toEqual([['institution.members', 'ownership_exceeds_100']]);
  });

  it('"not required" sends no tax details', () => {
    const f = filledIndividual();
    f.tax_details = [emptyTax()];
    f.tax_details_not_required = true;
    const input = toCreateInput(f);
    expect(input.tax_details).toEqual([]);
    expect(input.tax_details_not_required).toBe(true);
  });

  it('previews the gate from the valid parts of a form that still has faults', async () => {
    const b = new MemoryBackend();
    const f = filledIndividual();
    f.ref_id = '';
    f.contacts.push(emptyContact('email'));
    const input = toCreateInput(f);
    const first = await b.previewGate(input, verifiedKinds(f));
    expect(first.gate).toBeNull();
    expect(first.field_errors.map((r) => r.field)).toEqual(['ref_id', 'contacts[2].value']);
    const repaired = repairForPreview(input, first.field_errors);
    expect(repaired.contacts).toHaveLength(2);
    const second = await b.previewGate(repaired, verifiedKinds(f));
    expect(second.field_errors).toEqual([]);
    expect(second.gate!.partial.reasons.map((r) => r.code)).toEqual(['mobile_unverified']);
  });
});
