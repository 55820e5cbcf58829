// A tax id or document number as views give it, masked (`***-**-6789`), with a Reveal button:
// the clear value comes from the backend, which records who saw it, and is masked again after
// a short while or when the page changes.
import { useEffect, useState } from 'react';

import { toBackendError } from '../backend/Backend';
import { useBackend } from '../backend/context';
import { useToast } from './Toast';

const SHOWN_FOR_MS = 30_000;

export function Masked({
  customerId,
  field,
  itemId,
  masked,
  testId,
}: {
  customerId: string;
  field: 'tax_id' | 'document_number';
  itemId: string;
  masked: string;
  testId: string;
}) {
  const backend = useBackend();
  const toast = useToast();
  const [clear, setClear] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (clear === null) return;
    const timer = setTimeout(() => setClear(null), SHOWN_FOR_MS);
    return () => clearTimeout(timer);
  }, [clear]);

  const reveal = async () => {
    setBusy(true);
    try {
      const shown = await backend.reveal(customerId, { field, item_id: itemId, reason: null });
      setClear(shown.value);
    } catch (raw) {
      const e = toBackendError(raw);
      toast.show(e.body.reasons[0]?.message ?? e.message, 'error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <span className="masked" data-testid={testId} data-state={clear === null ? 'masked' : 'revealed'}>
      <span className="mono">{clear ?? masked}</span>
      {clear === null ? (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => void reveal()} disabled={busy} title="Show in clear (recorded in the audit trail)" data-testid={`${testId}-reveal`}>
          Reveal
        </button>
      ) : (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setClear(null)} data-testid={`${testId}-hide`}>
          Hide
        </button>
      )}
    </span>
  );
}
