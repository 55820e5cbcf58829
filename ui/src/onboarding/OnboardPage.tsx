// The onboarding wizard: capture a person or a business with the live gate checklist beside the
// form. Save creates the customer and verifies the contacts the clerk confirmed; Verify and
// Activate run the real gates. After Save, missing items are fixed with the add/verify dialogs.
import { useEffect, useMemo, useRef, useState } from 'react';

import type { BackendError, VerifyLevel } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { useBackend } from '../backend/context';
import { ACTIVITY_LEVELS, humanize } from '../backend/vocab';
import type { CustomerView } from '../bindings/CustomerView';
import type { GateView } from '../bindings/GateView';
import type { Reason } from '../bindings/Reason';
import { CheckField, FieldError, SelectField, TextField } from '../components/Field';
import { ErrorBanner } from '../components/ErrorBanner';
import { StateChip } from '../components/StateChip';
import { useToast } from '../components/Toast';
import { CustomerFixList } from '../customers/CustomerFixList';
import { notifyChanged } from '../lib/events';
import { href, navigate } from '../shell/router';
import { AddressEditor, ContactEditor, CountryOptions, DocumentEditor, MemberEditor, TaxEditor } from './editors';
import {
  emptyAddress,
  emptyContact,
  emptyDocument,
  emptyForm,
  emptyMember,
  emptyTax,
  repairForPreview,
  toCreateInput,
  verifiedKinds,
} from './form';
import type { OnboardForm } from './form';
import { GateChecklist } from './GateChecklist';

export const PREVIEW_DEBOUNCE_MS = 150;

export function initialForm(type: 'individual' | 'business'): OnboardForm {
  const f = emptyForm(type);
  f.addresses = [emptyAddress(true, type === 'business' ? 'registered' : 'residential')];
  f.contacts = [emptyContact('email'), emptyContact('mobile')];
  f.documents = [emptyDocument(type === 'business' ? 'certificate_of_incorporation' : 'passport')];
  if (type === 'business') f.institution.members = [emptyMember()];
  return f;
}

interface PreviewState {
  gate: GateView | null;
  fieldErrors: Reason[];
  approximate: boolean;
}

/** Runs `preview_gate` on every change (debounced), falling back to the valid parts of the form. */
function useGatePreview(form: OnboardForm, enabled: boolean) {
  const backend = useBackend();
  const [state, setState] = useState<PreviewState>({ gate: null, fieldErrors: [], approximate: false });
  const [checking, setChecking] = useState(false);
  const seq = useRef(0);
  useEffect(() => {
    if (!enabled) return;
    const mine = ++seq.current;
    setChecking(true);
    const timer = setTimeout(async () => {
      try {
        const input = toCreateInput(form);
        const verified = verifiedKinds(form);
        const first = await backend.previewGate(input, verified);
        if (mine !== seq.current) return;
        if (first.gate || first.field_errors.length === 0) {
          setState({ gate: first.gate, fieldErrors: first.field_errors, approximate: false });
          return;
        }
        const second = await backend.previewGate(repairForPreview(input, first.field_errors), verified);
        if (mine !== seq.current) return;
        setState({ gate: second.gate, fieldErrors: first.field_errors, approximate: second.gate !== null });
      } catch {
        // The checklist keeps its last answer; Save reports real errors.
      } finally {
        if (mine === seq.current) setChecking(false);
      }
    }, PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [form, enabled, backend]);
  return { ...state, checking };
}

export function OnboardPage() {
  const backend = useBackend();
  const toast = useToast();
  const [form, setForm] = useState<OnboardForm>(() => initialForm('individual'));
  const [saved, setSaved] = useState<CustomerView | null>(null);
  const [submitted, setSubmitted] = useState(false);
  const [saveError, setSaveError] = useState<BackendError | null>(null);
  const [contactErrors, setContactErrors] = useState<BackendError[]>([]);
  const [refusal, setRefusal] = useState<{ action: string; error: BackendError } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const preview = useGatePreview(form, saved === null);

  const update = (patch: Partial<OnboardForm>) => setForm((f) => ({ ...f, ...patch }));

  // Required-field errors appear after the first Save; format errors as soon as they are typed.
  const shownErrors = useMemo(() => {
    const fromPreview = submitted ? preview.fieldErrors : preview.fieldErrors.filter((r) => r.code !== 'required');
    const fromServer = saveError?.body.reasons.filter((r) => r.field) ?? [];
    const seen = new Set(fromServer.map((r) => `${r.field}:${r.code}`));
    return [...fromServer, ...fromPreview.filter((r) => !seen.has(`${r.field}:${r.code}`))];
  }, [preview.fieldErrors, saveError, submitted]);

  const gate: GateView | null = saved ? saved.verification_gate : preview.gate;
  const formOk = preview.fieldErrors.length === 0 && preview.gate !== null;

  async function save(): Promise<CustomerView | null> {
    setSubmitted(true);
    setSaveError(null);
    setContactErrors([]);
    setRefusal(null);
    setBusy('save');
    try {
      let view = await backend.createCustomer(toCreateInput(form));
      const errors: BackendError[] = [];
      for (let i = 0; i < form.contacts.length; i += 1) {
        const c = form.contacts[i]!;
        if (!c.verified || !c.value.trim()) continue;
        const target = view.contacts[i]?.kind === c.kind ? view.contacts[i] : view.contacts.find((k) => k.kind === c.kind && !k.verified);
        if (!target) continue;
        try {
          view = await backend.verifyContact(view.id, { kind: c.kind, method: c.method, contact_id: target.id });
        } catch (e) {
          errors.push(toBackendError(e));
        }
      }
      setSaved(view);
      setContactErrors(errors);
      notifyChanged();
      toast.show(`Saved ${view.ref_id}`);
      return view;
    } catch (e) {
      setSaveError(toBackendError(e));
      return null;
    } finally {
      setBusy(null);
    }
  }

  async function verify(level: VerifyLevel) {
    const customer = saved ?? (await save());
    if (!customer) return;
    setBusy(`verify-${level}`);
    setRefusal(null);
    try {
      const view = await backend.verifyCustomer(customer.id, level, null);
      setSaved(view);
      notifyChanged();
      toast.show(`Verified — ${level}`);
    } catch (e) {
      setRefusal({ action: `Verify — ${level}`, error: toBackendError(e) });
      backend.getCustomer(customer.id).then(setSaved).catch(() => undefined);
    } finally {
      setBusy(null);
    }
  }

  async function activate() {
    if (!saved) return;
    setBusy('activate');
    setRefusal(null);
    try {
      const view = await backend.activateCustomer(saved.id);
      setSaved(view);
      notifyChanged();
      toast.show('Customer activated');
    } catch (e) {
      setRefusal({ action: 'Activate', error: toBackendError(e) });
      backend.getCustomer(saved.id).then(setSaved).catch(() => undefined);
    } finally {
      setBusy(null);
    }
  }

  const canVerify = (level: VerifyLevel): boolean => {
    if (busy) return false;
    const passes = level === 'partial' ? gate?.partial.passes : gate?.full.passes;
    if (!passes) return false;
    if (!saved) return formOk;
    if (saved.state === 'pending') return true;
    return level === 'full' && saved.verification_level === 'partial' && (saved.state === 'verified' || saved.state === 'active');
  };

  const buttons = (
    <div className="verify-buttons">
      {!saved && (
        <button type="button" className="btn" onClick={() => void save()} disabled={!!busy} data-testid="onboard-save">
          {busy === 'save' ? 'Saving…' : 'Save'}
        </button>
      )}
      <button
        type="button"
        className="btn btn-primary"
        onClick={() => void verify('partial')}
        disabled={!canVerify('partial')}
        data-testid="verify-partial"
        aria-describedby="gate-explainer"
      >
        {busy === 'verify-partial' ? 'Verifying…' : 'Verify — partial'}
      </button>
      <button
        type="button"
        className="btn btn-primary"
        onClick={() => void verify('full')}
        disabled={!canVerify('full')}
        data-testid="verify-full"
        aria-describedby="gate-explainer"
      >
        {busy === 'verify-full' ? 'Verifying…' : 'Verify — full'}
      </button>
      <button
        type="button"
        className="btn"
        onClick={() => void activate()}
        disabled={!saved || saved.state !== 'verified' || !!busy}
        data-testid="activate"
      >
        {busy === 'activate' ? 'Activating…' : 'Activate'}
      </button>
      <p id="gate-explainer" className="field-hint" style={{ width: '100%', margin: 0 }}>
        {saved
          ? 'Verify is enabled when every rule of its level is ticked.'
          : 'Verify saves the customer first. It is enabled when every rule of its level is ticked.'}
      </p>
    </div>
  );

  return (
    <div>
      <CountryOptions />
      <div className="title-row">
        <h1>Onboard a customer</h1>
        {saved && (
          <>
            <StateChip kind="customer" value={saved.state} testId="onboard-state" />
            {saved.verification_level && <StateChip kind="level" value={saved.verification_level} testId="onboard-level" />}
          </>
        )}
      </div>
      <div className="onboard">
        <div>
          {saved ? (
            <SavedView saved={saved} onChange={setSaved} contactErrors={contactErrors} />
          ) : (
            <FormView form={form} update={update} setForm={setForm} errors={shownErrors} />
          )}
          <ErrorBanner error={saveError} testId="onboard-error" hideFieldReasons />
        </div>
        <GateChecklist
          gate={gate}
          loading={!saved && preview.checking}
          fieldErrors={saved ? [] : shownErrors}
          approximate={!saved && preview.approximate}
          refusal={refusal}
          title={saved ? 'Verify checklist (saved)' : 'Verify checklist'}
        >
          {buttons}
        </GateChecklist>
      </div>
    </div>
  );
}

function SavedView({ saved, onChange, contactErrors }: { saved: CustomerView; onChange: (c: CustomerView) => void; contactErrors: BackendError[] }) {
  const name = saved.person ? `${saved.person.first_name} ${saved.person.last_name}` : (saved.institution?.legal_name ?? '');
  return (
    <div className="panel" data-testid="onboard-saved" data-customer-id={saved.id}>
      <div className="panel-title">
        <h2>
          {name} <span className="muted mono">{saved.ref_id}</span>
        </h2>
        <div className="actions">
          <a className="btn btn-small" href={href('customers', saved.id)} data-testid="onboard-open-customer">
            Open customer
          </a>
          <button type="button" className="btn btn-small" onClick={() => navigate(`/onboard?new=${Date.now()}`)} data-testid="onboard-another">
            Onboard another
          </button>
        </div>
      </div>
      <p className="muted">Saved. Anything still missing can be added here; the checklist follows the saved customer.</p>
      {contactErrors.map((e, i) => (
        <ErrorBanner key={i} error={e} testId={`onboard-contact-error-${i}`} />
      ))}
      <CustomerFixList customer={saved} onChange={onChange} />
    </div>
  );
}

function Section({ id, title, children, actions }: { id: string; title: string; children: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <section className="panel" id={id} aria-labelledby={`${id}-h`} data-testid={id}>
      <div className="panel-title">
        <h2 id={`${id}-h`}>{title}</h2>
        {actions && <div className="actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

const STEPS = [
  ['step-customer', 'Customer'],
  ['step-addresses', 'Addresses'],
  ['step-contacts', 'Contacts'],
  ['step-documents', 'Documents'],
  ['step-tax', 'Tax'],
  ['step-dd', 'Due diligence'],
] as const;

function FormView({
  form,
  update,
  setForm,
  errors,
}: {
  form: OnboardForm;
  update: (patch: Partial<OnboardForm>) => void;
  setForm: React.Dispatch<React.SetStateAction<OnboardForm>>;
  errors: Reason[];
}) {
  const setAt = <K extends 'addresses' | 'contacts' | 'documents' | 'tax_details'>(key: K, i: number, value: OnboardForm[K][number]) =>
    setForm((f) => ({ ...f, [key]: f[key].map((x, j) => (j === i ? value : x)) }));
  const removeAt = (key: 'addresses' | 'contacts' | 'documents' | 'tax_details', i: number) =>
    setForm((f) => ({ ...f, [key]: f[key].filter((_, j) => j !== i) }));
  const setPerson = (patch: Partial<OnboardForm['person']>) => setForm((f) => ({ ...f, person: { ...f.person, ...patch } }));
  const setInst = (patch: Partial<OnboardForm['institution']>) =>
    setForm((f) => ({ ...f, institution: { ...f.institution, ...patch } }));
  const members = form.institution.members;

  const setType = (type: 'individual' | 'business') =>
    setForm((f) => ({
      ...f,
      type,
      institution:
        type === 'business' && f.institution.members.length === 0 ? { ...f.institution, members: [emptyMember()] } : f.institution,
    }));

  return (
    <form onSubmit={(e) => e.preventDefault()} aria-label="Customer details" className="stack">
      <nav className="steps" aria-label="Sections">
        {STEPS.map(([id, label], i) => (
          <a key={id} href={`#/onboard`} className="step-link" onClick={(e) => { e.preventDefault(); document.getElementById(id)?.scrollIntoView({ block: 'start' }); }} data-testid={`${id}-link`}>
            {i + 1}. {label}
          </a>
        ))}
      </nav>

      <Section id="step-customer" title="1. Customer">
        <div className="row" role="radiogroup" aria-label="Customer type" style={{ marginBottom: 8 }}>
          {(['individual', 'business'] as const).map((t) => (
            <label key={t} className="row" style={{ gap: 4 }}>
              <input type="radio" name="customer-type" value={t} checked={form.type === t} onChange={() => setType(t)} data-testid={`onboard-type-${t}`} />
              {t === 'individual' ? 'Person' : 'Business'}
            </label>
          ))}
        </div>
        <div className="form-grid">
          <TextField label="Reference id" value={form.ref_id} onChange={(v) => update({ ref_id: v })} path="ref_id" errors={errors} testId="onboard-ref-id" required hint="The firm's own unique reference." />
        </div>
        {form.type === 'individual' ? (
          <div className="form-grid" style={{ marginTop: 8 }}>
            <TextField label="First name" value={form.person.first_name} onChange={(v) => setPerson({ first_name: v })} path="person.first_name" errors={errors} testId="person-first-name" required />
            <TextField label="Middle name" value={form.person.middle_name} onChange={(v) => setPerson({ middle_name: v })} path="person.middle_name" errors={errors} testId="person-middle-name" />
            <TextField label="Last name" value={form.person.last_name} onChange={(v) => setPerson({ last_name: v })} path="person.last_name" errors={errors} testId="person-last-name" required />
            <TextField label="Date of birth" type="date" value={form.person.date_of_birth} onChange={(v) => setPerson({ date_of_birth: v })} path="person.date_of_birth" errors={errors} testId="person-dob" required />
            <TextField label="Citizenship" value={form.person.country_of_citizenship} onChange={(v) => setPerson({ country_of_citizenship: v.toUpperCase() })} path="person.country_of_citizenship" errors={errors} testId="person-citizenship" list="country-codes" />
            <TextField label="Country of birth" value={form.person.country_of_birth} onChange={(v) => setPerson({ country_of_birth: v.toUpperCase() })} path="person.country_of_birth" errors={errors} testId="person-birth-country" list="country-codes" />
            <TextField label="Occupation" value={form.person.occupation} onChange={(v) => setPerson({ occupation: v })} path="person.occupation" errors={errors} testId="person-occupation" />
            <CheckField label="Politically exposed person" checked={form.politically_exposed} onChange={(v) => update({ politically_exposed: v })} testId="onboard-pep" />
          </div>
        ) : (
          <>
            <div className="form-grid" style={{ marginTop: 8 }}>
              <TextField className="wide" label="Legal name" value={form.institution.legal_name} onChange={(v) => setInst({ legal_name: v })} path="institution.legal_name" errors={errors} testId="inst-legal-name" required />
              <TextField label="Doing business as" value={form.institution.doing_business_as_name} onChange={(v) => setInst({ doing_business_as_name: v })} path="institution.doing_business_as_name" errors={errors} testId="inst-dba" />
              <TextField label="Incorporated on" type="date" value={form.institution.incorporation_date} onChange={(v) => setInst({ incorporation_date: v })} path="institution.incorporation_date" errors={errors} testId="inst-incorporation-date" />
              <TextField label="Country of formation" value={form.institution.country_of_formation} onChange={(v) => setInst({ country_of_formation: v.toUpperCase() })} path="institution.country_of_formation" errors={errors} testId="inst-country" list="country-codes" required />
              <TextField label="Industry" value={form.institution.industry_type} onChange={(v) => setInst({ industry_type: v })} path="institution.industry_type" errors={errors} testId="inst-industry" />
              <TextField label="Legal entity type" value={form.institution.legal_entity_type} onChange={(v) => setInst({ legal_entity_type: v })} path="institution.legal_entity_type" errors={errors} testId="inst-entity-type" />
              <TextField label="Website" value={form.institution.website} onChange={(v) => setInst({ website: v })} path="institution.website" errors={errors} testId="inst-website" />
              <TextField className="wide" label="Business description" value={form.institution.business_description} onChange={(v) => setInst({ business_description: v })} path="institution.business_description" errors={errors} testId="inst-description" />
              <CheckField label="Merchant" checked={form.is_merchant} onChange={(v) => update({ is_merchant: v })} testId="onboard-merchant" />
            </div>
            <h3 style={{ marginTop: 12 }}>Members</h3>
            <FieldError reasons={errors} path="institution.members" />
            {members.map((m, i) => (
              <div key={i} className="repeat" data-testid={`member-${i}`}>
                <div className="repeat-head">
                  Member {i + 1}
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => setInst({ members: members.filter((_, j) => j !== i) })} data-testid={`member-${i}-remove`} aria-label={`Remove member ${i + 1}`}>
                    Remove
                  </button>
                </div>
                <MemberEditor value={m} onChange={(v) => setInst({ members: members.map((x, j) => (j === i ? v : x)) })} path={`institution.members[${i}]`} errors={errors} testPrefix={`member-${i}`} />
              </div>
            ))}
            <button type="button" className="btn btn-small" onClick={() => setInst({ members: [...members, emptyMember()] })} data-testid="member-add">
              Add member
            </button>
          </>
        )}
      </Section>

      <Section
        id="step-addresses"
        title="2. Addresses"
        actions={
          <button type="button" className="btn btn-small" onClick={() => update({ addresses: [...form.addresses, emptyAddress(form.addresses.length === 0)] })} data-testid="address-add">
            Add address
          </button>
        }
      >
        <FieldError reasons={errors} path="addresses" />
        {form.addresses.length === 0 && <p className="muted">No address yet. Verification needs a primary residential, business or registered address.</p>}
        {form.addresses.map((a, i) => (
          <div key={i} className="repeat" data-testid={`address-${i}`}>
            <div className="repeat-head">
              Address {i + 1}
              <button type="button" className="btn btn-small btn-ghost" onClick={() => removeAt('addresses', i)} data-testid={`address-${i}-remove`} aria-label={`Remove address ${i + 1}`}>
                Remove
              </button>
            </div>
            <AddressEditor
              value={a}
              onChange={(v) =>
                setForm((f) => ({
                  ...f,
                  // One primary address at a time, as the backend keeps it.
                  addresses: f.addresses.map((x, j) => (j === i ? v : v.primary && !a.primary ? { ...x, primary: false } : x)),
                }))
              }
              path={`addresses[${i}]`}
              errors={errors}
              testPrefix={`address-${i}`}
            />
          </div>
        ))}
      </Section>

      <Section
        id="step-contacts"
        title="3. Contacts"
        actions={
          <>
            <button type="button" className="btn btn-small" onClick={() => update({ contacts: [...form.contacts, emptyContact('email')] })} data-testid="contact-add-email">
              Add email
            </button>
            <button type="button" className="btn btn-small" onClick={() => update({ contacts: [...form.contacts, emptyContact('mobile')] })} data-testid="contact-add-mobile">
              Add mobile
            </button>
          </>
        }
      >
        <p className="field-hint">Tick “Verified” for a contact you have confirmed; it is verified on Save with the method chosen.</p>
        {form.contacts.map((c, i) => (
          <div key={i} className="repeat" data-testid={`contact-${i}`}>
            <div className="repeat-head">
              {c.kind === 'mobile' ? 'Mobile' : 'Email'}
              <button type="button" className="btn btn-small btn-ghost" onClick={() => removeAt('contacts', i)} data-testid={`contact-${i}-remove`} aria-label={`Remove contact ${i + 1}`}>
                Remove
              </button>
            </div>
            <ContactEditor value={c} onChange={(v) => setAt('contacts', i, v)} path={`contacts[${i}]`} errors={errors} testPrefix={`contact-${i}`} />
          </div>
        ))}
      </Section>

      <Section
        id="step-documents"
        title="4. Identity documents"
        actions={
          <button type="button" className="btn btn-small" onClick={() => update({ documents: [...form.documents, emptyDocument()] })} data-testid="document-add">
            Add document
          </button>
        }
      >
        {form.documents.map((d, i) => (
          <div key={i} className="repeat" data-testid={`document-${i}`}>
            <div className="repeat-head">
              {humanize(d.type) || 'Document'}
              <button type="button" className="btn btn-small btn-ghost" onClick={() => removeAt('documents', i)} data-testid={`document-${i}-remove`} aria-label={`Remove document ${i + 1}`}>
                Remove
              </button>
            </div>
            <DocumentEditor value={d} onChange={(v) => setAt('documents', i, v)} path={`documents[${i}]`} errors={errors} testPrefix={`document-${i}`} />
          </div>
        ))}
      </Section>

      <Section
        id="step-tax"
        title="5. Tax details"
        actions={
          <button
            type="button"
            className="btn btn-small"
            disabled={form.tax_details_not_required}
            onClick={() => update({ tax_details: [...form.tax_details, emptyTax(form.type === 'business' ? 'EIN' : 'SSN')] })}
            data-testid="tax-add"
          >
            Add tax detail
          </button>
        }
      >
        <CheckField label="Tax details not required" checked={form.tax_details_not_required} onChange={(v) => update({ tax_details_not_required: v })} testId="tax-not-required" path="tax_details_not_required" errors={errors} />
        {!form.tax_details_not_required &&
          form.tax_details.map((t, i) => (
            <div key={i} className="repeat" data-testid={`tax-${i}`}>
              <div className="repeat-head">
                Tax detail {i + 1}
                <button type="button" className="btn btn-small btn-ghost" onClick={() => removeAt('tax_details', i)} data-testid={`tax-${i}-remove`} aria-label={`Remove tax detail ${i + 1}`}>
                  Remove
                </button>
              </div>
              <TaxEditor value={t} onChange={(v) => setAt('tax_details', i, v)} path={`tax_details[${i}]`} errors={errors} testPrefix={`tax-${i}`} />
            </div>
          ))}
      </Section>

      <Section id="step-dd" title="6. Due diligence">
        <div className="form-grid">
          <TextField label="Source of funds" value={form.due_diligence.source_of_funds} onChange={(v) => update({ due_diligence: { ...form.due_diligence, source_of_funds: v } })} path="customer_due_diligence.source_of_funds" errors={errors} testId="dd-source-of-funds" />
          <TextField label="Source of wealth" value={form.due_diligence.source_of_wealth} onChange={(v) => update({ due_diligence: { ...form.due_diligence, source_of_wealth: v } })} path="customer_due_diligence.source_of_wealth" errors={errors} testId="dd-source-of-wealth" />
          <TextField label="Purpose of account" value={form.due_diligence.purpose_of_account} onChange={(v) => update({ due_diligence: { ...form.due_diligence, purpose_of_account: v } })} path="customer_due_diligence.purpose_of_account" errors={errors} testId="dd-purpose" />
          <SelectField label="Expected activity" value={form.due_diligence.expected_activity_level} onChange={(v) => update({ due_diligence: { ...form.due_diligence, expected_activity_level: v } })} options={ACTIVITY_LEVELS} emptyLabel="Not stated" path="customer_due_diligence.expected_activity_level" errors={errors} testId="dd-activity-level" />
        </div>
      </Section>
    </form>
  );
}
