// What waits for a second person on this customer or case, shown where the work is.
import type { ApprovalView } from '../bindings/ApprovalView';
import { DateTime } from '../components/Values';
import { href } from '../shell/router';
import { APPROVAL_KINDS, describeCommand } from './ApprovalsPage';

export function PendingBanner({ approvals, testId = 'pending-approvals' }: { approvals: ApprovalView[]; testId?: string }) {
  if (approvals.length === 0) return null;
  return (
    <div className="banner banner-amber" role="status" data-testid={testId}>
      <strong>Waiting for a second person</strong>
      <ul>
        {approvals.map((a) => (
          <li key={a.id} data-testid={`${testId}-${a.id}`}>
            {APPROVAL_KINDS[a.kind] ?? a.kind}: {describeCommand(a)} — asked by {a.maker}, <DateTime value={a.created_at} />.{' '}
            <a href={href('approvals')}>Approvals</a>
          </li>
        ))}
      </ul>
    </div>
  );
}
