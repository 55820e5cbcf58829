// What a saved customer has captured, compactly, with the ways to complete it: verify a
// contact, add an address, contact, document, tax detail or member. Shared by the onboarding
// wizard (after Save) and the customer page's Overview.
import { useState } from 'react';

import { humanize } from '../backend/vocab';
import type { ContactView } from '../bindings/ContactView';
import type { CustomerView } from '../bindings/CustomerView';
import { StateChip } from '../components/StateChip';
import { DateTime } from '../components/Values';
import { daysUntil } from '../format';
import { Masked } from '../components/Masked';
import { AddDialog, VerifyContactDialog } from './AddDialogs';
import type { AddKind } from './AddDialogs';

export function ExpiryNote({ expires, valid }: { expires: string | null; valid: boolean }) {
  const days = daysUntil(expires);
  if (!valid) return <StateChip value="invalid" tone="red" label={days !== null && days < 0 ? 'Expired' : 'Not valid today'} />;
  if (days !== null && days <= 60) return <StateChip value="expiring" tone="amber" label={`Expires in ${days} d`} />;
  return <StateChip value="valid" tone="green" label="Valid" />;
}

export function CustomerFixList({ customer, onChange, locked }: { customer: CustomerView; onChange: (c: CustomerView) => void; locked?: boolean }) {
  const [adding, setAdding] = useState<AddKind | null>(null);
  const [verifying, setVerifying] = useState<ContactView | null>(null);
  const addButton = (kind: AddKind, label: string) => (
    <button type="button" className="btn btn-small" onClick={() => setAdding(kind)} disabled={locked} data-testid={`fix-add-${kind}`}>
      {label}
    </button>
  );
  return (
    <div className="stack" data-testid="customer-fix-list">
      <section>
        <div className="panel-title">
          <h3 style={{ margin: 0 }}>Contacts</h3>
          <div className="actions">{addButton('contact', 'Add contact')}</div>
        </div>
        {customer.contacts.length === 0 && <p className="muted">No contacts yet — add an email and a mobile number.</p>}
        <table className="table">
          <tbody>
            {customer.contacts.map((k, i) => (
              <tr key={k.id} data-testid={`saved-contact-${i}`} data-kind={k.kind}>
                <td style={{ width: 70 }}>{k.kind === 'email' ? 'Email' : 'Mobile'}</td>
                <td className="mono">{k.value}</td>
                <td>
                  {k.verified ? (
                    <StateChip value="verified" kind="customer" label={`Verified · ${humanize(k.verification_method)}`} testId={`saved-contact-${i}-status`} />
                  ) : (
                    <StateChip value="unverified" tone="amber" label="Not verified" testId={`saved-contact-${i}-status`} />
                  )}
                </td>
                <td style={{ textAlign: 'right' }}>
                  {!k.verified && (
                    <button type="button" className="btn btn-small" onClick={() => setVerifying(k)} disabled={locked} data-testid={`saved-contact-${i}-verify`}>
                      Verify…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <div className="panel-title">
          <h3 style={{ margin: 0 }}>Addresses</h3>
          <div className="actions">{addButton('address', 'Add address')}</div>
        </div>
        {customer.addresses.length === 0 && <p className="muted">No address yet — add one marked primary.</p>}
        <table className="table">
          <tbody>
            {customer.addresses.map((a, i) => (
              <tr key={a.id} data-testid={`saved-address-${i}`}>
                <td style={{ width: 90 }}>{humanize(a.kind)}</td>
                <td>
                  {a.street_address}
                  {a.street_address_2 ? `, ${a.street_address_2}` : ''}, {a.city}
                  {a.state ? `, ${a.state}` : ''} {a.postal_code ?? ''} {a.country}
                </td>
                <td style={{ textAlign: 'right' }}>{a.primary && <StateChip value="primary" tone="blue" label="Primary" />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <div className="panel-title">
          <h3 style={{ margin: 0 }}>Identity documents</h3>
          <div className="actions">{addButton('document', 'Add document')}</div>
        </div>
        {customer.documents.length === 0 && <p className="muted">No identity document yet — add one.</p>}
        <table className="table">
          <tbody>
            {customer.documents.map((d, i) => (
              <tr key={d.id} data-testid={`saved-document-${i}`}>
                <td>{humanize(d.type)}</td>
                <td>
                  <Masked customerId={customer.id} field="document_number" itemId={d.id} masked={d.number} testId={`saved-document-${i}-number`} />
                </td>
                <td>{d.issuing_country}</td>
                <td>
                  <DateTime value={d.expires_on} dateOnly />
                </td>
                <td style={{ textAlign: 'right' }}>
                  <ExpiryNote expires={d.expires_on} valid={d.valid_today} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <div className="panel-title">
          <h3 style={{ margin: 0 }}>Tax details</h3>
          <div className="actions">{addButton('tax', 'Add tax detail')}</div>
        </div>
        {customer.tax_details_not_required && <p className="muted">Tax details not required.</p>}
        <table className="table">
          <tbody>
            {customer.tax_details.map((t, i) => (
              <tr key={t.id} data-testid={`saved-tax-${i}`}>
                <td style={{ width: 70 }}>{t.tax_id_type}</td>
                <td>
                  <Masked customerId={customer.id} field="tax_id" itemId={t.id} masked={t.tax_id} testId={`saved-tax-${i}-id`} />
                </td>
                <td>{t.country}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {customer.type === 'business' && (
        <section>
          <div className="panel-title">
            <h3 style={{ margin: 0 }}>Members</h3>
            <div className="actions">{addButton('member', 'Add member')}</div>
          </div>
          <table className="table">
            <tbody>
              {(customer.institution?.members ?? []).map((m, i) => (
                <tr key={m.id} data-testid={`saved-member-${i}`}>
                  <td>
                    {m.first_name} {m.last_name}
                  </td>
                  <td>{m.roles.map(humanize).join(', ')}</td>
                  <td className="num" style={{ textAlign: 'right' }}>
                    {m.ownership_percentage ? `${m.ownership_percentage} %` : '—'}
                  </td>
                  <td>{m.is_control_person && <StateChip value="control" tone="blue" label="Control person" />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {adding && <AddDialog kind={adding} customerId={customer.id} onSaved={onChange} onClose={() => setAdding(null)} />}
      {verifying && (
        <VerifyContactDialog customerId={customer.id} contact={verifying} onSaved={onChange} onClose={() => setVerifying(null)} />
      )}
    </div>
  );
}
