// The one seam between the UI and the Rust side. Every screen talks to a `Backend`; the real
// implementation (`tauri.ts`) calls Tauri commands, the test double (`memory.ts`) keeps
// everything in memory. One method per command of the contract, typed with the generated
// bindings (never hand-copied DTOs): `bindings/commands.ts` lists every command with its
// arguments and result, and `tauri.ts` is checked against it.

import type { AddressInput } from '../bindings/AddressInput';
import type { AdvanceVerificationInput } from '../bindings/AdvanceVerificationInput';
import type { AppInfo } from '../bindings/AppInfo';
import type { AuditEventView } from '../bindings/AuditEventView';
import type { Commands } from '../bindings/commands';
import type { ContactInput } from '../bindings/ContactInput';
import type { CreateCustomerInput } from '../bindings/CreateCustomerInput';
import type { CreateVerificationInput } from '../bindings/CreateVerificationInput';
import type { CustomerView } from '../bindings/CustomerView';
import type { DashboardView } from '../bindings/DashboardView';
import type { DecideInput } from '../bindings/DecideInput';
import type { DecisionView } from '../bindings/DecisionView';
import type { DocumentInput } from '../bindings/DocumentInput';
import type { ErrorBody } from '../bindings/ErrorBody';
import type { EvidenceInput } from '../bindings/EvidenceInput';
import type { FileContentView } from '../bindings/FileContentView';
import type { GatePreview } from '../bindings/GatePreview';
import type { IdentityStatusView } from '../bindings/IdentityStatusView';
import type { KycResultsView } from '../bindings/KycResultsView';
import type { MemberInput } from '../bindings/MemberInput';
import type { OutboxView } from '../bindings/OutboxView';
import type { Page } from '../bindings/Page';
import type { PerformKycInput } from '../bindings/PerformKycInput';
import type { PolicyDto } from '../bindings/PolicyDto';
import type { ProviderInput } from '../bindings/ProviderInput';
import type { ProviderView } from '../bindings/ProviderView';
import type { QueueItem } from '../bindings/QueueItem';
import type { QueueQuery } from '../bindings/QueueQuery';
import type { RiskView } from '../bindings/RiskView';
import type { RevealInput } from '../bindings/RevealInput';
import type { RevealedView } from '../bindings/RevealedView';
import type { BackupView } from '../bindings/BackupView';
import type { RestoreView } from '../bindings/RestoreView';
import type { SessionState } from '../bindings/SessionState';
import type { ApprovalQuery } from '../bindings/ApprovalQuery';
import type { ApprovalView } from '../bindings/ApprovalView';
import type { Submitted } from '../bindings/Submitted';
import type { PendingApproval } from '../bindings/PendingApproval';
import type { UserView } from '../bindings/UserView';
import type { StoredFileView } from '../bindings/StoredFileView';
import type { SyncProgress } from '../bindings/SyncProgress';
import type { SyncRunView } from '../bindings/SyncRunView';
import type { SyncStatusView } from '../bindings/SyncStatusView';
import type { TaxDetailInput } from '../bindings/TaxDetailInput';
import type { VerificationQuery } from '../bindings/VerificationQuery';
import type { VerificationView } from '../bindings/VerificationView';
import type { VerifyContactInput } from '../bindings/VerifyContactInput';

/** The command takes any string; the UI only ever sends these. */
export type VerifyLevel = 'partial' | 'full';

export type LifecycleAction =
  | 'reject'
  | 'withdraw'
  | 'close'
  | 'reactivate'
  | 'undo_rejection'
  | 'undo_withdrawal';

/** `audit_events`' arguments, as generated (all optional). */
export type AuditQuery = Commands['audit_events']['args'];

/** `sync_list`'s arguments, as generated: status and customer filters, keyset paging. */
export type SyncListQuery = Commands['sync_list']['args'];

export type Unlisten = () => void;

export interface Backend {
  /** Locked or not, and whether the data directory must be set up first. Works while locked. */
  sessionState(): Promise<SessionState>;
  /** A new (or plain) data directory: encrypt it under a new passphrase, make its first admin
   *  and sign them in. */
  setUp(passphrase: string, admin: string, password: string): Promise<AppInfo>;
  /** Open the data with its passphrase and sign `user` in. */
  unlock(passphrase: string, user: string, password: string): Promise<AppInfo>;
  /** Closes the data and forgets the key until the next unlock. */
  lock(): Promise<void>;
  appInfo(): Promise<AppInfo>;
  /** A backup to `path`, or where the save dialog says (null path); null when cancelled. */
  backup(path: string | null): Promise<BackupView | null>;
  /** Replaces the data with a checked backup; the app is locked afterwards. Null when cancelled. */
  restoreBackup(path: string | null, passphrase: string): Promise<RestoreView | null>;
  dashboard(): Promise<DashboardView>;

  listQueue(query: QueueQuery): Promise<Page<QueueItem>>;
  getCustomer(id: string): Promise<CustomerView>;
  createCustomer(input: CreateCustomerInput): Promise<CustomerView>;
  previewGate(input: CreateCustomerInput, verified: string[]): Promise<GatePreview>;
  addAddress(id: string, input: AddressInput): Promise<CustomerView>;
  addDocument(id: string, input: DocumentInput): Promise<CustomerView>;
  addContact(id: string, input: ContactInput): Promise<CustomerView>;
  addTaxDetail(id: string, input: TaxDetailInput): Promise<CustomerView>;
  addMember(id: string, input: MemberInput): Promise<CustomerView>;
  verifyContact(id: string, input: VerifyContactInput): Promise<CustomerView>;
  verifyCustomer(id: string, level: VerifyLevel, note: string | null): Promise<CustomerView>;
  activateCustomer(id: string): Promise<CustomerView>;
  /** One masked number in clear; audited as `pii.revealed`. */
  reveal(id: string, input: RevealInput): Promise<RevealedView>;
  /** Undoing a rejection waits for a second person: then the pending request comes back. */
  lifecycle(id: string, action: LifecycleAction, reason: string): Promise<Submitted<CustomerView>>;

  listVerifications(query: VerificationQuery): Promise<Page<VerificationView>>;
  getVerification(id: string): Promise<VerificationView>;
  createVerification(input: CreateVerificationInput): Promise<VerificationView>;
  openEdd(customerId: string): Promise<VerificationView>;
  advanceVerification(id: string, input: AdvanceVerificationInput): Promise<VerificationView>;
  /** EDD decisions wait for a second person: then the pending request comes back. */
  decideVerification(id: string, input: DecideInput): Promise<Submitted<VerificationView>>;
  addEvidence(id: string, input: EvidenceInput): Promise<VerificationView>;
  addNote(id: string, text: string): Promise<VerificationView>;
  assignCase(id: string, assignee: string | null): Promise<VerificationView>;
  snoozeCase(id: string, until: string | null, reason: string | null): Promise<VerificationView>;

  /** A client verification override waits for a second person. */
  performKyc(customerId: string, input: PerformKycInput): Promise<Submitted<KycResultsView>>;
  kycResults(customerId: string): Promise<KycResultsView>;
  identityStatus(customerId: string): Promise<IdentityStatusView>;
  risk(customerId: string): Promise<RiskView>;
  decisions(customerId: string): Promise<DecisionView[]>;
  auditEvents(query: AuditQuery): Promise<Page<AuditEventView>>;

  getPolicy(): Promise<PolicyDto>;
  setPolicy(input: PolicyDto): Promise<PolicyDto>;
  listProviders(): Promise<ProviderView[]>;
  setProvider(input: ProviderInput): Promise<ProviderView>;
  disableProvider(name: string): Promise<ProviderView>;

  syncStatus(): Promise<SyncStatusView>;
  syncList(query: SyncListQuery): Promise<Page<OutboxView>>;
  syncRun(): Promise<SyncRunView>;
  syncRetry(id: string): Promise<OutboxView>;
  /** Discarding waits for a second person. */
  syncDiscard(id: string, reason: string): Promise<Submitted<OutboxView>>;

  listApprovals(query: ApprovalQuery): Promise<Page<ApprovalView>>;
  approve(id: string, reason: string | null): Promise<ApprovalView>;
  rejectApproval(id: string, reason: string): Promise<ApprovalView>;
  withdrawApproval(id: string): Promise<ApprovalView>;

  listUsers(): Promise<UserView[]>;
  addUser(name: string, roles: string[], password: string): Promise<UserView>;
  setUserRoles(name: string, roles: string[]): Promise<UserView>;
  disableUser(name: string): Promise<UserView>;
  enableUser(name: string): Promise<UserView>;
  changePassword(name: string | null, password: string): Promise<UserView>;

  /** `pick_file`: the OS dialog, then the chosen scan is attached; null when cancelled. */
  openFile(): Promise<StoredFileView | null>;
  /** `attach_file`: copies the scan at `path` into the data directory; its `file:` reference. */
  attachFile(path: string): Promise<StoredFileView>;
  /** `read_file`: a stored scan's bytes (base64) by its `file:` reference, for a preview. */
  readFile(reference: string): Promise<FileContentView>;

  /** Subscribes to `sync-progress` events; resolves to the function that unsubscribes. */
  onSyncProgress(handler: (progress: SyncProgress) => void): Promise<Unlisten>;
}

/** Every failure from the backend, normalised: it carries the `ErrorBody` of the contract. */
export class BackendError extends Error {
  readonly body: ErrorBody;

  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'BackendError';
    this.body = body;
  }

  get status(): number {
    return this.body.status;
  }

  get code(): string {
    return this.body.code;
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.status === 'number' && typeof v.code === 'string' && typeof v.message === 'string';
}

/** Turns whatever a rejected call gave into a `BackendError` (never a raw string or JSON). */
export function toBackendError(raw: unknown): BackendError {
  if (raw instanceof BackendError) return raw;
  if (isErrorBody(raw)) {
    return new BackendError({
      status: raw.status,
      code: raw.code,
      message: raw.message,
      reasons: Array.isArray(raw.reasons) ? raw.reasons : [],
    });
  }
  if (typeof raw === 'string') {
    // Tauri rejects with a plain string when a command is missing or its arguments do not fit.
    try {
      const parsed: unknown = JSON.parse(raw);
      if (isErrorBody(parsed)) return toBackendError(parsed);
    } catch {
      // not JSON: fall through
    }
    return new BackendError({ status: 500, code: 'internal_error', message: raw, reasons: [] });
  }
  if (raw instanceof Error) {
    return new BackendError({ status: 500, code: 'internal_error', message: raw.message, reasons: [] });
  }
  return new BackendError({
    status: 500,
    code: 'internal_error',
    message: 'the desktop backend did not answer as expected',
    reasons: [],
  });
}

/** The request a command came back with when it waits for a second person, if it does. */
export function pendingOf<T>(s: Submitted<T>): PendingApproval | null {
  const p = s as unknown as PendingApproval;
  return p && typeof p === 'object' && p.status === 202 && 'pending_approval' in p ? p : null;
}

/** The view a command came back with when it was applied at once. */
export function appliedOf<T>(s: Submitted<T>): T | null {
  return pendingOf(s) ? null : (s as T);
}
