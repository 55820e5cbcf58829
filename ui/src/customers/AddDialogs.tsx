// Dialogs that add one element to a saved customer (add_address, add_contact, …) and verify a
// contact. Used on the customer page and by the onboarding wizard once a customer is saved.
import { useState } from 'react';
import type { ComponentType } from 'react';

import type { Backend, BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { useBackend } from '../backend/context';
import { CONTACT_METHODS } from '../backend/vocab';
import type { ContactView } from '../bindings/ContactView';
import type { CustomerView } from '../bindings/CustomerView';
import type { Reason } from '../bindings/Reason';
import { Dialog } from '../components/Dialog';
import { ErrorBanner } from '../components/ErrorBanner';
import { SelectField } from '../components/Field';
import { useToast } from '../components/Toast';
import { notifyChanged } from '../lib/events';
import {
  AddressEditor,
  ContactEditor,
  DocumentEditor,
  MemberEditor,
  TaxEditor,
} from '../onboarding/editors';
import {
  addressInput,
  contactInput,
  documentInput,
  emptyAddress,
  emptyContact,
  emptyDocument,
  emptyMember,
  emptyTax,
  memberInput,
  taxInput,
} from '../onboarding/form';

function ContactEditorNoVerify(p: EditorLike<ReturnType<typeof emptyContact>>) {
  return <ContactEditor {...p} withVerified={false} />;
}

export type AddKind = 'address' | 'contact' | 'document' | 'tax' | 'member';

interface EditorLike<T> {
  value: T;
  onChange: (v: T) => void;
  path: string;
  errors?: Reason[];
  testPrefix: string;
}

interface Spec<T> {
  title: string;
  initial: () => T;
  Editor: ComponentType<EditorLike<T>>;
  path: string;
  save: (b: Backend, id: string, value: T) => Promise<CustomerView>;
  done: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const SPECS: Record<AddKind, Spec<any>> = {
  address: {
    title: 'Add address',
    initial: () => emptyAddress(true),
    Editor: AddressEditor,
    path: 'address',
    save: (b: Backend, id: string, v) => b.addAddress(id, addressInput(v)),
    done: 'Address added',
  },
  contact: {
    title: 'Add contact',
    initial: () => emptyContact('email'),
    Editor: ContactEditorNoVerify,
    path: 'contact',
    save: (b: Backend, id: string, v) => b.addContact(id, contactInput(v)),
    done: 'Contact added',
  },
  document: {
    title: 'Add identity document',
    initial: () => emptyDocument(),
    Editor: DocumentEditor,
    path: 'document',
    save: (b: Backend, id: string, v) => b.addDocument(id, documentInput(v)),
    done: 'Document added',
  },
  tax: {
    title: 'Add tax detail',
    initial: () => emptyTax(),
    Editor: TaxEditor,
    path: 'tax_detail',
    save: (b: Backend, id: string, v) => b.addTaxDetail(id, taxInput(v)),
    done: 'Tax detail added',
  },
  member: {
    title: 'Add member',
    initial: () => emptyMember(),
    Editor: MemberEditor,
    path: 'member',
    save: (b: Backend, id: string, v) => b.addMember(id, memberInput(v)),
    done: 'Member added',
  },
};

export function AddDialog({
  kind,
  customerId,
  onSaved,
  onClose,
}: {
  kind: AddKind;
  customerId: string;
  onSaved: (view: CustomerView) => void;
  onClose: () => void;
}) {
  const backend = useBackend();
  const toast = useToast();
  const spec = SPECS[kind];
  const [value, setValue] = useState<unknown>(() => spec.initial());
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);
  const Editor = spec.Editor;
  const testId = `add-${kind}`;
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const view = await spec.save(backend, customerId, value);
      onSaved(view);
      notifyChanged();
      toast.show(spec.done);
      onClose();
    } catch (e) {
      setError(toBackendError(e));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={spec.title}
      onClose={onClose}
      testId={`${testId}-dialog`}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} data-testid={`${testId}-cancel`}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void save()} disabled={busy} data-testid={`${testId}-save`}>
            {busy ? 'Saving…' : spec.title}
          </button>
        </>
      }
    >
      <Editor value={value as never} onChange={setValue} path={spec.path} errors={error?.body.reasons} testPrefix={testId} />
      <ErrorBanner error={error} testId={`${testId}-error`} hideFieldReasons />
    </Dialog>
  );
}

export function VerifyContactDialog({
  customerId,
  contact,
  onSaved,
  onClose,
}: {
  customerId: string;
  contact: ContactView;
  onSaved: (view: CustomerView) => void;
  onClose: () => void;
}) {
  const backend = useBackend();
  const toast = useToast();
  const [method, setMethod] = useState('code');
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    try {
      const view = await backend.verifyContact(customerId, { kind: contact.kind, method, contact_id: contact.id });
      onSaved(view);
      notifyChanged();
      toast.show(`${contact.kind === 'email' ? 'Email' : 'Mobile number'} verified`);
      onClose();
    } catch (e) {
      setError(toBackendError(e));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={`Verify ${contact.kind === 'email' ? 'email' : 'mobile number'}`}
      onClose={onClose}
      testId="verify-contact-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} data-testid="verify-contact-cancel">
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void save()} disabled={busy} data-testid="verify-contact-confirm">
            Mark verified
          </button>
        </>
      }
    >
      <p>
        <span className="mono">{contact.value}</span>
      </p>
      <SelectField label="How was it proven?" value={method} onChange={setMethod} options={CONTACT_METHODS} testId="verify-contact-method" />
      <ErrorBanner error={error} testId="verify-contact-error" />
    </Dialog>
  );
}
