// The onboarding form's state (strings as typed) and its mapping to the contract's
// `CreateCustomerInput`. Blank strings become null; nothing is parsed here: the backend
// validates and reports every field at fault.
import type { AddressInput } from '../bindings/AddressInput';
import type { ContactInput } from '../bindings/ContactInput';
import type { CreateCustomerInput } from '../bindings/CreateCustomerInput';
import type { DocumentInput } from '../bindings/DocumentInput';
import type { MemberInput } from '../bindings/MemberInput';
import type { Reason } from '../bindings/Reason';
import type { TaxDetailInput } from '../bindings/TaxDetailInput';

export interface AddressForm {
  kind: string;
  primary: boolean;
  street_address: string;
  street_address_2: string;
  city: string;
  state: string;
  postal_code: string;
  country: string;
}

export interface ContactForm {
  kind: string;
  value: string;
  /** The clerk has confirmed it (verified on Save with `method`). */
  verified: boolean;
  method: string;
}

export interface FileForm {
  role: string;
  /** `file:<sha256>` once attached (or a provider's reference): all the document stores. */
  reference: string;
  /** The attached file's name, for this screen only: documents keep the reference alone. */
  name?: string;
}

export interface DocumentForm {
  type: string;
  number: string;
  issuing_country: string;
  issued_on: string;
  expires_on: string;
  status: string;
  files: FileForm[];
}

export interface TaxForm {
  tax_id_type: string;
  tax_id: string;
  country: string;
}

export interface MemberForm {
  first_name: string;
  last_name: string;
  title: string;
  roles: string[];
  ownership_percentage: string;
  date_of_birth: string;
  is_control_person: boolean;
  person_customer_id: string;
}

export interface PersonForm {
  first_name: string;
  middle_name: string;
  last_name: string;
  date_of_birth: string;
  country_of_citizenship: string;
  country_of_birth: string;
  occupation: string;
}

export interface InstitutionForm {
  legal_name: string;
  doing_business_as_name: string;
  incorporation_date: string;
  country_of_formation: string;
  industry_type: string;
  legal_entity_type: string;
  website: string;
  business_description: string;
  members: MemberForm[];
}

export interface DueDiligenceForm {
  source_of_funds: string;
  source_of_wealth: string;
  purpose_of_account: string;
  expected_activity_level: string;
}

export interface OnboardForm {
  type: 'individual' | 'business';
  ref_id: string;
  person: PersonForm;
  institution: InstitutionForm;
  addresses: AddressForm[];
  contacts: ContactForm[];
  documents: DocumentForm[];
  tax_details: TaxForm[];
  tax_details_not_required: boolean;
  due_diligence: DueDiligenceForm;
  is_merchant: boolean;
  politically_exposed: boolean;
}

export function emptyAddress(primary: boolean, kind = 'residential'): AddressForm {
  return { kind, primary, street_address: '', street_address_2: '', city: '', state: '', postal_code: '', country: '' };
}

export function emptyContact(kind: string): ContactForm {
  return { kind, value: '', verified: false, method: 'code' };
}

export function emptyDocument(type = 'passport'): DocumentForm {
  return { type, number: '', issuing_country: '', issued_on: '', expires_on: '', status: 'active', files: [] };
}

export function emptyTax(type = 'SSN'): TaxForm {
  return { tax_id_type: type, tax_id: '', country: 'US' };
}

export function emptyMember(): MemberForm {
  return {
    first_name: '',
    last_name: '',
    title: '',
    roles: [],
    ownership_percentage: '',
    date_of_birth: '',
    is_control_person: false,
    person_customer_id: '',
  };
}

export function emptyForm(type: 'individual' | 'business' = 'individual'): OnboardForm {
  return {
    type,
    ref_id: '',
    person: {
      first_name: '',
      middle_name: '',
      last_name: '',
      date_of_birth: '',
      country_of_citizenship: '',
      country_of_birth: '',
      occupation: '',
    },
    institution: {
      legal_name: '',
      doing_business_as_name: '',
      incorporation_date: '',
      country_of_formation: '',
      industry_type: '',
      legal_entity_type: '',
      website: '',
      business_description: '',
      members: [],
    },
    addresses: [],
    contacts: [],
    documents: [],
    tax_details: [],
    tax_details_not_required: false,
    due_diligence: { source_of_funds: '', source_of_wealth: '', purpose_of_account: '', expected_activity_level: '' },
    is_merchant: false,
    politically_exposed: false,
  };
}

/** A trimmed string, or null when blank. */
export function s(value: string): string | null {
  const t = value.trim();
  return t === '' ? null : t;
}

function upper(value: string): string | null {
  const t = s(value);
  return t === null ? null : t.toUpperCase();
}

export function addressInput(a: AddressForm): AddressInput {
  return {
    kind: s(a.kind),
    primary: a.primary,
    street_address: s(a.street_address),
    street_address_2: s(a.street_address_2),
    city: s(a.city),
    state: s(a.state),
    postal_code: s(a.postal_code),
    country: upper(a.country),
  };
}

export function contactInput(c: ContactForm): ContactInput {
  return { kind: s(c.kind), value: s(c.value) };
}

export function documentInput(d: DocumentForm): DocumentInput {
  return {
    type: s(d.type),
    number: s(d.number),
    issuing_country: upper(d.issuing_country),
    issued_on: s(d.issued_on),
    expires_on: s(d.expires_on),
    status: s(d.status),
    files: d.files.map((f) => ({ role: s(f.role), reference: s(f.reference) })),
  };
}

export function taxInput(t: TaxForm): TaxDetailInput {
  return { tax_id_type: s(t.tax_id_type), tax_id: s(t.tax_id), country: upper(t.country) };
}

export function memberInput(m: MemberForm): MemberInput {
  return {
    first_name: s(m.first_name),
    last_name: s(m.last_name),
    title: s(m.title),
    roles: [...m.roles],
    // A decimal string, never a float: "33.33" stays exactly that.
    ownership_percentage: s(m.ownership_percentage),
    date_of_birth: s(m.date_of_birth),
    is_control_person: m.is_control_person,
    person_customer_id: s(m.person_customer_id),
  };
}

/** The form as the contract's customer document. */
export function toCreateInput(f: OnboardForm): CreateCustomerInput {
  const dd = f.due_diligence;
  const hasDd = [dd.source_of_funds, dd.source_of_wealth, dd.purpose_of_account, dd.expected_activity_level].some(
    (v) => v.trim() !== '',
  );
  return {
    type: f.type,
    ref_id: s(f.ref_id),
    person:
      f.type === 'individual'
        ? {
            first_name: s(f.person.first_name),
            middle_name: s(f.person.middle_name),
            last_name: s(f.person.last_name),
            date_of_birth: s(f.person.date_of_birth),
            country_of_citizenship: upper(f.person.country_of_citizenship),
            country_of_birth: upper(f.person.country_of_birth),
            occupation: s(f.person.occupation),
          }
        : null,
    institution:
      f.type === 'business'
        ? {
            legal_name: s(f.institution.legal_name),
            doing_business_as_name: s(f.institution.doing_business_as_name),
            incorporation_date: s(f.institution.incorporation_date),
            country_of_formation: upper(f.institution.country_of_formation),
            industry_type: s(f.institution.industry_type),
            legal_entity_type: s(f.institution.legal_entity_type),
            website: s(f.institution.website),
            business_description: s(f.institution.business_description),
            members: f.institution.members.map(memberInput),
          }
        : null,
    addresses: f.addresses.map(addressInput),
    contacts: f.contacts.map(contactInput),
    documents: f.documents.map(documentInput),
    tax_details: f.tax_details_not_required ? [] : f.tax_details.map(taxInput),
    tax_details_not_required: f.tax_details_not_required,
    customer_due_diligence: hasDd
      ? {
          source_of_funds: s(dd.source_of_funds),
          source_of_wealth: s(dd.source_of_wealth),
          purpose_of_account: s(dd.purpose_of_account),
          expected_activity_level: s(dd.expected_activity_level),
        }
      : null,
    is_merchant: f.is_merchant,
    politically_exposed: f.politically_exposed,
    last_kyc_refresh_date: null,
    metadata: {},
  };
}

/** The contact kinds the clerk has marked verified (for `preview_gate`). */
export function verifiedKinds(f: OnboardForm): string[] {
  const kinds = new Set<string>();
  f.contacts.forEach((c) => {
    if (c.verified && c.value.trim()) kinds.add(c.kind);
  });
  return [...kinds];
}

const INDEXED = /^(addresses|contacts|documents|tax_details|institution\.members)\[(\d+)\]/;

/**
 * The input with every part at fault removed or replaced by a harmless placeholder, so the gate
 * can still be previewed from what *is* valid while the clerk is still typing. The placeholders
 * never reach `create_customer`: this is only for the live checklist.
 */
export function repairForPreview(input: CreateCustomerInput, errors: Reason[]): CreateCustomerInput {
  const out: CreateCustomerInput = structuredClone(input);
  const drop: Record<string, Set<number>> = {
    addresses: new Set(),
    contacts: new Set(),
    documents: new Set(),
    tax_details: new Set(),
    'institution.members': new Set(),
  };
  for (const e of errors) {
    const field = e.field ?? '';
    const m = INDEXED.exec(field);
    if (m) {
      drop[m[1]!]!.add(Number(m[2]));
      continue;
    }
    if (field === 'type') out.type = 'individual';
    else if (field === 'ref_id') out.ref_id = 'preview';
    else if (field === 'person' && e.code === 'required') out.person = placeholderPerson();
    else if (field === 'person' && e.code === 'not_allowed') out.person = null;
    else if (field === 'institution' && e.code === 'required') out.institution = placeholderInstitution();
    else if (field === 'institution' && e.code === 'not_allowed') out.institution = null;
    else if (field.startsWith('person.') && out.person) {
      const key = field.slice('person.'.length) as keyof NonNullable<CreateCustomerInput['person']>;
      const fallback: Record<string, string | null> = { first_name: 'x', last_name: 'x', date_of_birth: '1970-01-01' };
      out.person = { ...out.person, [key]: fallback[key] ?? null };
    } else if (field.startsWith('institution.') && out.institution) {
      if (field === 'institution.members') {
        out.institution = { ...out.institution, members: out.institution.members.map((x) => ({ ...x, ownership_percentage: null })) };
      } else {
        const key = field.slice('institution.'.length);
        const fallback: Record<string, string | null> = { legal_name: 'x', country_of_formation: 'US' };
        out.institution = { ...out.institution, [key]: fallback[key] ?? null };
      }
    } else if (field === 'addresses') {
      let seen = false;
      out.addresses = out.addresses.map((a) => {
        if (!a.primary) return a;
        if (seen) return { ...a, primary: false };
        seen = true;
        return a;
      });
    } else if (field === 'tax_details_not_required') out.tax_details_not_required = false;
    else if (field.startsWith('customer_due_diligence')) out.customer_due_diligence = null;
    else if (field === 'last_kyc_refresh_date') out.last_kyc_refresh_date = null;
    else if (field === 'metadata') out.metadata = {};
  }
  const keep = <T,>(list: T[], name: string) => list.filter((_, i) => !drop[name]!.has(i));
  out.addresses = keep(out.addresses, 'addresses');
  out.contacts = keep(out.contacts, 'contacts');
  out.documents = keep(out.documents, 'documents');
  out.tax_details = keep(out.tax_details, 'tax_details');
  if (out.institution) out.institution = { ...out.institution, members: keep(out.institution.members, 'institution.members') };
  return out;
}

function placeholderPerson(): NonNullable<CreateCustomerInput['person']> {
  return {
    first_name: 'x',
    middle_name: null,
    last_name: 'x',
    date_of_birth: '1970-01-01',
    country_of_citizenship: null,
    country_of_birth: null,
    occupation: null,
  };
}

function placeholderInstitution(): NonNullable<CreateCustomerInput['institution']> {
  return {
    legal_name: 'x',
    doing_business_as_name: null,
    incorporation_date: null,
    country_of_formation: 'US',
    industry_type: null,
    legal_entity_type: null,
    website: null,
    business_description: null,
    members: [],
  };
}
