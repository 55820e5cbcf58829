// Editors for one element of each repeated part of a customer (address, contact, document,
// tax detail, member). The wizard uses them with paths like `addresses[0]`; the "add" dialogs
// on a saved customer use them with the single-element paths (`address`, `document`, …).
import { useRef, useState } from 'react';

import type { BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { useBackend } from '../backend/context';
import {
  ADDRESS_KINDS,
  CONTACT_METHODS,
  DOCUMENT_STATUSES,
  DOCUMENT_TYPES,
  FILE_ROLES,
  MEMBER_ROLES,
  TAX_ID_TYPES,
  humanize,
} from '../backend/vocab';
import type { Reason } from '../bindings/Reason';
import type { StoredFileView } from '../bindings/StoredFileView';
import { COUNTRIES } from '../countries';
import { CheckField, FieldError, SelectField, TextField } from '../components/Field';
import { AttachError, ScanThumb, ScanViewer, scanFallback, scanName } from '../components/Scan';
import type { AddressForm, ContactForm, DocumentForm, FileForm, MemberForm, TaxForm } from './form';

export function CountryOptions() {
  return (
    <datalist id="country-codes">
      {COUNTRIES.map(([code, name]) => (
        <option key={code} value={code}>
          {name}
        </option>
      ))}
    </datalist>
  );
}

interface EditorProps<T> {
  value: T;
  onChange: (value: T) => void;
  /** The field path prefix the backend uses, e.g. `addresses[0]` or `address`. */
  path: string;
  errors?: Reason[];
  /** The test id prefix, e.g. `address-0` or `add-address`. */
  testPrefix: string;
}

const opts = (values: readonly string[]) => values.map((v) => ({ value: v, label: humanize(v) }));

export function AddressEditor({ value: a, onChange, path, errors, testPrefix: t }: EditorProps<AddressForm>) {
  const set = (patch: Partial<AddressForm>) => onChange({ ...a, ...patch });
  return (
    <div className="form-grid">
      <SelectField label="Kind" value={a.kind} onChange={(kind) => set({ kind })} options={opts(ADDRESS_KINDS)} path={`${path}.kind`} errors={errors} testId={`${t}-kind`} required />
      <CheckField label="Primary address" checked={a.primary} onChange={(primary) => set({ primary })} testId={`${t}-primary`} />
      <TextField className="wide" label="Street address" value={a.street_address} onChange={(v) => set({ street_address: v })} path={`${path}.street_address`} errors={errors} testId={`${t}-street`} required />
      <TextField className="wide" label="Street address 2" value={a.street_address_2} onChange={(v) => set({ street_address_2: v })} path={`${path}.street_address_2`} errors={errors} testId={`${t}-street2`} />
      <TextField label="City" value={a.city} onChange={(v) => set({ city: v })} path={`${path}.city`} errors={errors} testId={`${t}-city`} required />
      <TextField label="State / region" value={a.state} onChange={(v) => set({ state: v })} path={`${path}.state`} errors={errors} testId={`${t}-state`} />
      <TextField label="Postal code" value={a.postal_code} onChange={(v) => set({ postal_code: v })} path={`${path}.postal_code`} errors={errors} testId={`${t}-postal`} />
      <TextField label="Country (ISO code)" value={a.country} onChange={(v) => set({ country: v.toUpperCase() })} path={`${path}.country`} errors={errors} testId={`${t}-country`} list="country-codes" placeholder="US" required />
    </div>
  );
}

export function ContactEditor({
  value: c,
  onChange,
  path,
  errors,
  testPrefix: t,
  withVerified = true,
}: EditorProps<ContactForm> & { withVerified?: boolean }) {
  const set = (patch: Partial<ContactForm>) => onChange({ ...c, ...patch });
  return (
    <div className="form-grid">
      <SelectField label="Kind" value={c.kind} onChange={(kind) => set({ kind })} options={[{ value: 'email', label: 'Email' }, { value: 'mobile', label: 'Mobile' }]} path={`${path}.kind`} errors={errors} testId={`${t}-kind`} required />
      <TextField
        className="wide"
        label={c.kind === 'mobile' ? 'Mobile number (E.164)' : 'Email address'}
        type={c.kind === 'mobile' ? 'tel' : 'email'}
        placeholder={c.kind === 'mobile' ? '+14155550100' : 'name@example.com'}
        value={c.value}
        onChange={(v) => set({ value: v })}
        path={`${path}.value`}
        errors={errors}
        testId={`${t}-value`}
        required
      />
      {withVerified && (
        <>
          <CheckField label="Verified" checked={c.verified} onChange={(verified) => set({ verified })} testId={`${t}-verified`} />
          <SelectField label="Verified how" value={c.method} onChange={(method) => set({ method })} options={CONTACT_METHODS} testId={`${t}-method`} />
        </>
      )}
    </div>
  );
}

export function DocumentEditor({ value: d, onChange, path, errors, testPrefix: t }: EditorProps<DocumentForm>) {
  const backend = useBackend();
  const set = (patch: Partial<DocumentForm>) => onChange({ ...d, ...patch });
  // Attaching takes a round trip; the scan joins the document as it is when the answer comes,
  // so edits made meanwhile are kept.
  const latest = useRef({ d, onChange });
  latest.current = { d, onChange };
  const [typed, setTyped] = useState('');
  const [attaching, setAttaching] = useState<'pick' | 'path' | null>(null);
  const [attachError, setAttachError] = useState<BackendError | null>(null);
  const [viewing, setViewing] = useState<FileForm | null>(null);

  const addFile = (stored: StoredFileView) => {
    const { d: now, onChange: change } = latest.current;
    const roles = now.files.map((f) => f.role);
    const role = !roles.includes('front') ? 'front' : !roles.includes('back') ? 'back' : 'other';
    change({ ...now, files: [...now.files, { role, reference: stored.reference, name: stored.name }] });
  };
  const attach = async (how: 'pick' | 'path', work: () => Promise<StoredFileView | null>) => {
    setAttaching(how);
    setAttachError(null);
    try {
      const stored = await work();
      if (stored) addFile(stored);
      if (how === 'path') setTyped('');
    } catch (e) {
      setAttachError(toBackendError(e));
    } finally {
      setAttaching(null);
    }
  };
  const attachTyped = () => {
    const p = typed.trim();
    if (p && !attaching) void attach('path', () => backend.attachFile(p));
  };
  return (
    <div>
      <div className="form-grid">
        <SelectField label="Type" value={d.type} onChange={(type) => set({ type })} options={opts(DOCUMENT_TYPES)} path={`${path}.type`} errors={errors} testId={`${t}-type`} required />
        <TextField label="Number" value={d.number} onChange={(v) => set({ number: v })} path={`${path}.number`} errors={errors} testId={`${t}-number`} required />
        <TextField label="Issuing country" value={d.issuing_country} onChange={(v) => set({ issuing_country: v.toUpperCase() })} path={`${path}.issuing_country`} errors={errors} testId={`${t}-country`} list="country-codes" placeholder="US" required />
        <TextField label="Issued on" type="date" value={d.issued_on} onChange={(v) => set({ issued_on: v })} path={`${path}.issued_on`} errors={errors} testId={`${t}-issued`} />
        <TextField label="Expires on" type="date" value={d.expires_on} onChange={(v) => set({ expires_on: v })} path={`${path}.expires_on`} errors={errors} testId={`${t}-expires`} />
        <SelectField label="Status" value={d.status} onChange={(status) => set({ status })} options={opts(DOCUMENT_STATUSES)} path={`${path}.status`} errors={errors} testId={`${t}-status`} />
      </div>
      <div className="row" style={{ marginTop: 8, alignItems: 'flex-start' }}>
        {d.files.map((f, j) => {
          const shown = scanName(f.reference, f.name, scanFallback(f.role));
          return (
            <div key={`${f.reference}-${j}`} className="stack" style={{ gap: 4 }} data-testid={`${t}-file-${j}`}>
              <ScanThumb reference={f.reference} name={f.name} fallbackName={scanFallback(f.role)} onOpen={() => setViewing(f)} testId={`${t}-file-${j}-thumb`} />
              <div className="row" style={{ gap: 4 }}>
                <label className="sr-only" htmlFor={`${t}-file-${j}-role`}>
                  Side of the scan {shown}
                </label>
                <select
                  id={`${t}-file-${j}-role`}
                  className="input"
                  value={f.role}
                  onChange={(e) => set({ files: d.files.map((x, k) => (k === j ? { ...x, role: e.target.value } : x)) })}
                  data-testid={`${t}-file-${j}-role`}
                >
                  {FILE_ROLES.map((r) => (
                    <option key={r} value={r}>
                      {humanize(r)}
                    </option>
                  ))}
                </select>
                <button type="button" className="btn btn-small btn-ghost" aria-label={`Remove scan ${shown}`} onClick={() => set({ files: d.files.filter((_, k) => k !== j) })} data-testid={`${t}-file-${j}-remove`}>
                  Remove
                </button>
              </div>
              <FieldError reasons={errors} path={`${path}.files[${j}].reference`} />
            </div>
          );
        })}
        <div className="stack" style={{ gap: 4 }}>
          <button type="button" className="btn btn-small" style={{ alignSelf: 'flex-start' }} onClick={() => void attach('pick', () => backend.openFile())} disabled={!!attaching} data-testid={`${t}-attach`}>
            {attaching === 'pick' ? 'Attaching…' : 'Attach scan…'}
          </button>
          <div className="attach-row">
            <label className="sr-only" htmlFor={`${t}-file-path`}>
              Or type the full path of a scan (PNG, JPEG, GIF, WebP or PDF)
            </label>
            <input
              id={`${t}-file-path`}
              className="input"
              placeholder="or type a path"
              value={typed}
              onChange={(e) => {
                setTyped(e.target.value);
                setAttachError(null);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  attachTyped();
                }
              }}
              aria-invalid={attachError ? true : undefined}
              aria-describedby={attachError ? `${t}-file-path-error` : undefined}
              data-testid={`${t}-file-path`}
            />
            <button type="button" className="btn btn-small" disabled={!typed.trim() || !!attaching} onClick={attachTyped} data-testid={`${t}-file-add`}>
              {attaching === 'path' ? 'Adding…' : 'Add'}
            </button>
          </div>
          <AttachError error={attachError} id={`${t}-file-path-error`} testId={`${t}-file-path-error`} />
        </div>
      </div>
      {viewing && (
        <ScanViewer reference={viewing.reference} name={scanName(viewing.reference, viewing.name, scanFallback(viewing.role))} onClose={() => setViewing(null)} />
      )}
    </div>
  );
}

export function TaxEditor({ value: x, onChange, path, errors, testPrefix: t }: EditorProps<TaxForm>) {
  const set = (patch: Partial<TaxForm>) => onChange({ ...x, ...patch });
  return (
    <div className="form-grid">
      <SelectField label="Tax id type" value={x.tax_id_type} onChange={(v) => set({ tax_id_type: v })} options={TAX_ID_TYPES} path={`${path}.tax_id_type`} errors={errors} testId={`${t}-type`} required />
      <TextField label="Tax id" value={x.tax_id} onChange={(v) => set({ tax_id: v })} path={`${path}.tax_id`} errors={errors} testId={`${t}-id`} required hint="Stored masked; only the last four show." />
      <TextField label="Country" value={x.country} onChange={(v) => set({ country: v.toUpperCase() })} path={`${path}.country`} errors={errors} testId={`${t}-country`} list="country-codes" required />
    </div>
  );
}

export function MemberEditor({ value: m, onChange, path, errors, testPrefix: t }: EditorProps<MemberForm>) {
  const set = (patch: Partial<MemberForm>) => onChange({ ...m, ...patch });
  const toggleRole = (role: string, on: boolean) =>
    set({ roles: on ? [...m.roles, role] : m.roles.filter((r) => r !== role) });
  return (
    <div>
      <div className="form-grid">
        <TextField label="First name" value={m.first_name} onChange={(v) => set({ first_name: v })} path={`${path}.first_name`} errors={errors} testId={`${t}-first-name`} required />
        <TextField label="Last name" value={m.last_name} onChange={(v) => set({ last_name: v })} path={`${path}.last_name`} errors={errors} testId={`${t}-last-name`} required />
        <TextField label="Title" value={m.title} onChange={(v) => set({ title: v })} path={`${path}.title`} errors={errors} testId={`${t}-title`} />
        <TextField label="Ownership %" value={m.ownership_percentage} onChange={(v) => set({ ownership_percentage: v })} path={`${path}.ownership_percentage`} errors={errors} testId={`${t}-ownership`} inputMode="decimal" placeholder="25.5" />
        <TextField label="Date of birth" type="date" value={m.date_of_birth} onChange={(v) => set({ date_of_birth: v })} path={`${path}.date_of_birth`} errors={errors} testId={`${t}-dob`} />
        <TextField label="Linked person customer id" value={m.person_customer_id} onChange={(v) => set({ person_customer_id: v })} path={`${path}.person_customer_id`} errors={errors} testId={`${t}-person-id`} placeholder="optional" />
        <CheckField label="Control person" checked={m.is_control_person} onChange={(v) => set({ is_control_person: v })} testId={`${t}-control`} />
      </div>
      <fieldset style={{ marginTop: 8 }}>
        <legend className="field-label">Roles</legend>
        <div className="row">
          {MEMBER_ROLES.map((role) => (
            <CheckField key={role} label={humanize(role)} checked={m.roles.includes(role)} onChange={(on) => toggleRole(role, on)} testId={`${t}-role-${role}`} />
          ))}
        </div>
        {m.roles.map((_, i) => (
          <FieldError key={i} reasons={errors} path={`${path}.roles[${i}]`} />
        ))}
      </fieldset>
    </div>
  );
}
