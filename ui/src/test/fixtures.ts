// Inputs shared by tests.
import type { CreateCustomerInput } from '../bindings/CreateCustomerInput';

export function individualInput(ref: string, overrides: Partial<CreateCustomerInput> = {}): CreateCustomerInput {
  return {
    type: 'individual',
    ref_id: ref,
    person: {
      first_name: 'Ana',
      middle_name: null,
      last_name: 'Silva',
      date_of_birth: '1988-04-12',
      country_of_citizenship: 'US',
      country_of_birth: 'PT',
      occupation: null,
    },
    institution: null,
    addresses: [
      { kind: 'residential', primary: true, street_address: '742 Evergreen Terrace', street_address_2: null, city: 'Springfield', state: 'IL', postal_code: '62704', country: 'US' },
    ],
    contacts: [
      { kind: 'email', value: `${ref.toLowerCase()}@example.com` },
      { kind: 'mobile', value: '+1 217 555 0142' },
    ],
    documents: [
      { type: 'passport', number: 'X12345678', issuing_country: 'US', issued_on: '2021-03-01', expires_on: '2099-02-28', status: 'active', files: [] },
    ],
    tax_details: [],
    tax_details_not_required: false,
    customer_due_diligence: null,
    is_merchant: false,
    politically_exposed: false,
    last_kyc_refresh_date: null,
    metadata: {},
    ...overrides,
  };
}
