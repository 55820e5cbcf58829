// TEST DOUBLE data: a handful of customers, cases and sync messages so `npm run dev` in a
// browser shows every screen with something on it. Never used by the desktop app.

import type { CreateCustomerInput } from '../bindings/CreateCustomerInput';
import type { MemoryBackend } from './memory';

/** Individuals whose passport has `scan` (a stored `file:` reference) as its front. */
const individualWith = (scan: string) => (ref: string, first: string, last: string, extra: Partial<CreateCustomerInput> = {}): CreateCustomerInput => {
  return {
    type: 'individual',
    ref_id: ref,
    person: {
      first_name: first,
      middle_name: null,
      last_name: last,
      date_of_birth: '1985-06-14',
      country_of_citizenship: 'US',
      country_of_birth: 'US',
      occupation: 'Engineer',
    },
    institution: null,
    addresses: [
      {
        kind: 'residential',
        primary: true,
        street_address: '742 Evergreen Terrace',
        street_address_2: null,
        city: 'Springfield',
        state: 'IL',
        postal_code: '62704',
        country: 'US',
      },
    ],
    contacts: [
      { kind: 'email', value: `${first.toLowerCase()}.${last.toLowerCase()}@example.com` },
      { kind: 'mobile', value: '+12175550142' },
    ],
    documents: [
      {
        type: 'passport',
        number: `X${ref.replace(/\D/g, '').padStart(8, '0')}`,
        issuing_country: 'US',
        issued_on: '2021-03-01',
        expires_on: '2031-02-28',
        status: 'active',
        files: [{ role: 'front', reference: scan }],
      },
    ],
    tax_details: [],
    tax_details_not_required: false,
    customer_due_diligence: {
      source_of_funds: 'salary',
      source_of_wealth: null,
      purpose_of_account: 'savings',
      expected_activity_level: 'LOW',
    },
    is_merchant: false,
    politically_exposed: false,
    last_kyc_refresh_date: null,
    metadata: {},
    ...extra,
  };
};

function daysAgo(backend: MemoryBackend, id: string, days: number) {
  const v = backend.verifications.find((x) => x.id === id);
  if (!v) return;
  const t = new Date(Date.now() - days * 86_400_000).toISOString();
  v.created_at = t;
  v.updated_at = t;
  const caseType = v.method === 'enhanced_due_diligence' ? 'edd' : v.type;
  const hours = backend.policy.sla_hours[caseType];
  if (hours !== undefined) v.sla_due_at = new Date(Date.parse(t) + hours * 3_600_000).toISOString();
}

export async function seedDemo(b: MemoryBackend): Promise<void> {
  const info = await b.appInfo();
  // Scans are attached first, as the app does: documents and evidence name stored references.
  const individual = individualWith((await b.attachFile('/home/clerk/scans/passport-front.jpg')).reference);
  const utilityBill = await b.attachFile('/home/clerk/scans/utility-bill.pdf');
  await b.setProvider({ name: 'cybrid', base_url: 'http://127.0.0.1:18081', client_id: 'sandbox', client_secret: 'x', tenant: null });
  await b.setProvider({ name: 'paxos', base_url: 'http://127.0.0.1:18082', client_id: 'sandbox', client_secret: null, tenant: null });
  await b.setProvider({ name: 'mbanq', base_url: 'http://127.0.0.1:18084', client_id: null, client_secret: null, tenant: 'default' });
  const mbanq = b.providers.find((p) => p.name === 'mbanq');
  if (mbanq) mbanq.refuses = ['customer.create'];

  const ana = await b.createCustomer(individual('BR-0001', 'Ana', 'Silva'));
  await b.verifyContact(ana.id, { kind: 'email', method: 'code', contact_id: null });
  await b.verifyContact(ana.id, { kind: 'mobile', method: 'code', contact_id: null });
  await b.verifyCustomer(ana.id, 'full', null);
  await b.activateCustomer(ana.id);

  const ben = await b.createCustomer(
    individual('BR-0002', 'Ben', 'Okafor', {
      politically_exposed: true,
      customer_due_diligence: {
        source_of_funds: 'business income',
        source_of_wealth: 'inheritance',
        purpose_of_account: 'investments',
        expected_activity_level: 'HIGH',
      },
    }),
  );
  await b.verifyContact(ben.id, { kind: 'email', method: 'in_person', contact_id: null });
  await b.verifyContact(ben.id, { kind: 'mobile', method: 'in_person', contact_id: null });
  await b.verifyCustomer(ben.id, 'partial', null);
  const edd = await b.openEdd(ben.id);
  await b.assignCase(edd.id, info.actor);
  await b.addEvidence(edd.id, { item: 'proof_of_address', reference: utilityBill.reference, description: 'Utility bill, October' });
  daysAgo(b, edd.id, 6);

  const cleo = await b.createCustomer(individual('BR-0003', 'Cleo', 'Martin', { contacts: [{ kind: 'email', value: 'cleo@example.com' }] }));
  const kyc = await b.createVerification({ customer_id: cleo.id, type: 'kyc', method: 'id_and_selfie', external_reference: null });
  await b.advanceVerification(kyc.id, { to: 'waiting', outcome: null, failure_codes: [], compliance_checks: [] });
  await b.advanceVerification(kyc.id, { to: 'pending', outcome: null, failure_codes: [], compliance_checks: [] });
  await b.advanceVerification(kyc.id, { to: 'reviewing', outcome: null, failure_codes: [], compliance_checks: [] });
  await b.assignCase(kyc.id, info.actor);
  daysAgo(b, kyc.id, 3.5);
  b.addKycQuestions(cleo.id, [
    { key: 'q1', prompt: 'Which of these streets have you lived on?', options: ['Elm St', 'Oak Ave', 'None of these'] },
    { key: 'q2', prompt: 'Which bank holds your car loan?', options: ['First Bank', 'Second Bank', 'No car loan'] },
  ]);

  const dan = await b.createCustomer(individual('BR-0004', 'Dan', 'Reyes'));
  const k2 = await b.createVerification({ customer_id: dan.id, type: 'kyc', method: 'document_submission', external_reference: null });
  await b.advanceVerification(k2.id, { to: 'waiting', outcome: null, failure_codes: [], compliance_checks: [] });
  daysAgo(b, k2.id, 0.3);

  await b.createCustomer({
    type: 'business',
    ref_id: 'BR-B-0001',
    person: null,
    institution: {
      legal_name: 'Northwind Trading LLC',
      doing_business_as_name: 'Northwind',
      incorporation_date: '2015-09-01',
      country_of_formation: 'US',
      industry_type: 'WHOLESALE',
      legal_entity_type: 'LLC',
      website: 'https://northwind.example',
      business_description: 'Wholesale of dry goods',
      members: [
        {
          first_name: 'Grace',
          last_name: 'Hopper',
          title: 'CEO',
          roles: ['BENEFICIAL_OWNER', 'MANAGEMENT_CONTROL_PERSON'],
          ownership_percentage: '60',
          date_of_birth: '1970-12-09',
          is_control_person: true,
          person_customer_id: null,
        },
        {
          first_name: 'Alan',
          last_name: 'Turing',
          title: 'CFO',
          roles: ['BENEFICIAL_OWNER'],
          ownership_percentage: '40',
          date_of_birth: '1972-06-23',
          is_control_person: false,
          person_customer_id: null,
        },
      ],
    },
    addresses: [
      {
        kind: 'registered',
        primary: true,
        street_address: '1 Market St',
        street_address_2: 'Suite 400',
        city: 'San Francisco',
        state: 'CA',
        postal_code: '94105',
        country: 'US',
      },
    ],
    contacts: [{ kind: 'email', value: 'ops@northwind.example' }],
    documents: [],
    tax_details: [{ tax_id_type: 'EIN', tax_id: '12-3456789', country: 'US' }],
    tax_details_not_required: false,
    customer_due_diligence: null,
    is_merchant: true,
    politically_exposed: false,
    last_kyc_refresh_date: null,
    metadata: { branch: 'sf-1' },
  });

  for (let i = 5; i <= 64; i += 1) {
    const ref = `BR-${String(i).padStart(4, '0')}`;
    const c = await b.createCustomer(
      individual(ref, ['Eve', 'Finn', 'Gus', 'Hana', 'Ivo', 'Jia'][i % 6]!, ['Lee', 'Nakamura', 'Costa', 'Berg'][i % 4]!, {
        contacts: [{ kind: 'email', value: `customer${i}@example.com` }, { kind: 'mobile', value: `+1217555${String(1000 + i)}` }],
      }),
    );
    if (i % 3 === 0) {
      await b.verifyContact(c.id, { kind: 'email', method: 'code', contact_id: null });
      await b.verifyContact(c.id, { kind: 'mobile', method: 'code', contact_id: null });
      await b.verifyCustomer(c.id, 'partial', null);
      if (i % 2 === 0) await b.activateCustomer(c.id);
    }
  }
}
