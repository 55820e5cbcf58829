// ─────────────────────────────────────────────────────────────────────────────────────────────
// TEST DOUBLE. An in-memory Backend for unit tests and for `npm run dev` in a plain browser.
// It is NOT the product: the Rust side (dossier-app) is the authority on every rule. It follows
// docs/reason-codes.md and docs/state-machines.md closely enough that the gate checklist,
// the lifecycle buttons, EDD cases and the queues behave realistically, and nothing more.
// Nothing here is saved: reloading the page starts again.
// ─────────────────────────────────────────────────────────────────────────────────────────────

import type { AddressView } from '../bindings/AddressView';
import type { AuditEventView } from '../bindings/AuditEventView';
import type { ContactView } from '../bindings/ContactView';
import type { ControlView } from '../bindings/ControlView';
import type { CreateCustomerInput } from '../bindings/CreateCustomerInput';
import type { CustomerView } from '../bindings/CustomerView';
import type { DecisionView } from '../bindings/DecisionView';
import type { DocumentInput } from '../bindings/DocumentInput';
import type { DocumentView } from '../bindings/DocumentView';
import type { DueDiligenceView } from '../bindings/DueDiligenceView';
import type { ErrorBody } from '../bindings/ErrorBody';
import type { GateReasonView } from '../bindings/GateReasonView';
import type { GateView } from '../bindings/GateView';
import type { IdentityStatusView } from '../bindings/IdentityStatusView';
import type { InstitutionView } from '../bindings/InstitutionView';
import type { JsonValue } from '../bindings/serde_json/JsonValue';
import type { KycResultView } from '../bindings/KycResultView';
import type { KycResultsView } from '../bindings/KycResultsView';
import type { MemberInput } from '../bindings/MemberInput';
import type { MemberView } from '../bindings/MemberView';
import type { OutboxView } from '../bindings/OutboxView';
import type { Page } from '../bindings/Page';
import type { PersonView } from '../bindings/PersonView';
import type { PolicyDto } from '../bindings/PolicyDto';
import type { ProviderView } from '../bindings/ProviderView';
import type { QuestionView } from '../bindings/QuestionView';
import type { QueueItem } from '../bindings/QueueItem';
import type { Reason } from '../bindings/Reason';
import type { RiskFactorView } from '../bindings/RiskFactorView';
import type { RiskView } from '../bindings/RiskView';
import type { SyncStatusView } from '../bindings/SyncStatusView';
import type { TaxDetailView } from '../bindings/TaxDetailView';
import type { VerificationView } from '../bindings/VerificationView';
import type { AppInfo } from '../bindings/AppInfo';
import type { DashboardView } from '../bindings/DashboardView';
import type { FileContentView } from '../bindings/FileContentView';
import type { StoredFileView } from '../bindings/StoredFileView';
import type { SyncProgress } from '../bindings/SyncProgress';
import type { Backend, LifecycleAction, Unlisten, VerifyLevel } from './Backend';
import type { SessionState } from '../bindings/SessionState';
import type { ApprovalQuery } from '../bindings/ApprovalQuery';
import type { ApprovalView } from '../bindings/ApprovalView';
import type { Submitted } from '../bindings/Submitted';
import type { UserView } from '../bindings/UserView';
import type { RevealInput } from '../bindings/RevealInput';
import type { RevealedView } from '../bindings/RevealedView';
import type { BackupView } from '../bindings/BackupView';
import type { RestoreView } from '../bindings/RestoreView';
import { BackendError } from './Backend';
import {
  Fields,
  normaliseEmail,
  normalisePhone,
  validAddress,
  validContact,
  validDocument,
  validMember,
  validTaxDetail,
  validateCreate,
  sumScaled,
} from './memoryValidate';
import { matchesSearch, searchWords } from './memorySearch';
import {
  CONTACT_METHODS,
  EDD_METHOD,
  NON_INTERACTIVE_METHODS,
  OPEN_VERIFICATION_STATES,
  PHYSICAL_ADDRESS_KINDS,
  PHYSICAL_ID_TYPES,
  VERIFICATION_METHODS,
  VERIFICATION_STATES,
  VERIFICATION_TYPES,
  VERIFY_RULES,
  ACTIVATE_ONLY_RULES,
} from './vocab';

interface StoredDocument extends Omit<DocumentView, 'valid_today' | 'number'> {
  rawNumber: string;
}

interface StoredTax extends Omit<TaxDetailView, 'tax_id'> {
  raw: string;
}

interface StoredCustomer {
  id: string;
  type: 'individual' | 'business';
  ref_id: string;
  state: string;
  level: VerifyLevel | null;
  verified_on: string | null;
  state_changed_at: string;
  person?: PersonView;
  institution?: InstitutionView;
  addresses: AddressView[];
  contacts: ContactView[];
  documents: StoredDocument[];
  tax: StoredTax[];
  tax_not_required: boolean;
  cdd: DueDiligenceView | null;
  controls: ControlView[];
  is_merchant: boolean;
  politically_exposed: boolean;
  last_kyc_refresh_date: string | null;
  metadata: { [key: string]: string };
  created_at: string;
  updated_at: string;
}

interface StoredProvider extends ProviderView {
  reachable: boolean;
  /** Test hook: operations this provider refuses (a permanent 4xx). */
  refuses: string[];
}

interface KycState {
  results: KycResultView[];
  open: QuestionView[];
}

export interface MemoryOptions {
  actor?: string;
  now?: () => Date;
  /** Simulated latency per call, to see skeletons in the browser. 0 in tests. */
  latencyMs?: number;
  /** Delay between delivered messages in `syncRun`, to see the progress bar move. */
  syncStepMs?: number;
  dataDir?: string;
  /** Start locked: with a `passphrase` (the unlock screen), or without (a new directory: the
   *  set-up screen). Unlocked and set up when absent. */
  locked?: { passphrase?: string; idleLockSeconds?: number };
}

const ALL_PROVIDERS = ['cybrid', 'paxos', 'qolo', 'mbanq'];
const OPERATIONS: Record<string, string[]> = {
  'customer.create': ['cybrid', 'paxos', 'qolo', 'mbanq'],
  'customer.verify': ['cybrid', 'mbanq'],
  'customer.activate': ['mbanq'],
  'verification.create': ['cybrid'],
  'kyc.perform': ['qolo'],
};

function err(status: number, code: string, message: string, reasons?: Reason[]): BackendError {
  const body: ErrorBody = { status, code, message, reasons: reasons ?? [{ code, message }] };
  return new BackendError(body);
}

function invalidInput(reasons: Reason[]): BackendError {
  const message = reasons.length === 1 ? reasons[0]!.message : `${reasons.length} fields are invalid: see reasons`;
  return err(400, 'invalid_input', message, reasons);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** As the backend masks (dossier-core `mask`): letters and digits but the last four become `*`,
 * separators stay, and a value with fewer than 8 letters and digits is masked whole. */
function mask(value: string): string {
  const isSignificant = (ch: string) => /[A-Za-z0-9]/.test(ch);
  const significant = [...value].filter(isSignificant).length;
  const hidden = significant >= 8 ? significant - 4 : significant;
  let seen = 0;
  return [...value].map((ch) => (isSignificant(ch) && ++seen <= hidden ? '*' : ch)).join('');
}

/** US tax ids in their usual groups, as the backend shows them (masked, or revealed). */
function groupTax(type: string, raw: string): string {
  if (/^\d{9}$/.test(raw) && (type === 'SSN' || type === 'ITIN')) return `${raw.slice(0, 3)}-${raw.slice(3, 5)}-${raw.slice(5)}`;
  if (/^\d{9}$/.test(raw) && type === 'EIN') return `${raw.slice(0, 2)}-${raw.slice(2)}`;
  return raw;
}

function maskTax(type: string, raw: string): string {
  return mask(groupTax(type, raw));
}

function utcDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const dt = new Date(Date.UTC(y + years, m - 1, d));
  return utcDate(dt);
}

export function defaultPolicy(): PolicyDto {
  const limit = (amount: string, interval: string) => ({ activity: 'funding', amount, currency: 'USD', interval });
  return {
    on_kyc_passed: 'record_only',
    verification_deadline_minutes: {
      id_and_selfie: 60,
      business_registration: 1440,
      document_submission: 10080,
    },
    edd_checklist: ['proof_of_address', 'source_of_funds', 'source_of_wealth', 'purpose_of_account'],
    sla_hours: { edd: 120, kyc: 48, bank_account: 48, counterparty: 48 },
    refresh_years: { LOW: 3, MEDIUM: 2, HIGH: 1 },
    activity_limits: {
      partial: [limit('1000', 'daily'), limit('5000', 'monthly')],
      full: [limit('10000', 'daily'), limit('50000', 'monthly')],
      edd: [limit('100000', 'daily'), limit('1000000', 'monthly')],
    },
    risk: {
      high_risk_countries: ['AF', 'MM', 'YE', 'SS', 'HT', 'VE', 'RU', 'BY', 'ML', 'NG'],
      prohibited_countries: ['KP', 'IR', 'CU', 'SY'],
      high_risk_industries: ['MONEY_SERVICES', 'GAMBLING', 'CRYPTO', 'PRECIOUS_METALS', 'CANNABIS'],
      prohibited_industries: ['ADULT_ENTERTAINMENT', 'DRUGS', 'RANSOMWARE', 'SHELL_BANK', 'WEAPONS'],
      points: {
        high_risk_country: 30,
        politically_exposed_person: 40,
        high_risk_industry: 30,
        expected_activity_high: 25,
        expected_activity_medium: 10,
        ownership_opacity: 25,
      },
      medium_from: 25,
      high_from: 50,
    },
  };
}

export class MemoryBackend implements Backend {
  private actor: string;
  private readonly clock: () => Date;
  /** Simulated latency per call (public so the dev seed can run fast, then slow down). */
  latencyMs: number;
  private readonly syncStepMs: number;
  private readonly dataDir: string;
  private seq = 0;
  private auditSeq = 0;
  private outboxSeq = 0;
  private syncing = false;

  customers: StoredCustomer[] = [];
  verifications: VerificationView[] = [];
  decisionLog: DecisionView[] = [];
  audit: AuditEventView[] = [];
  outbox: OutboxView[] = [];
  providers: StoredProvider[] = [];
  kyc = new Map<string, KycState>();
  policy: PolicyDto = defaultPolicy();
  private listeners = new Set<(p: SyncProgress) => void>();
  /** Paths `openFile` hands out in turn (tests set them; the browser asks with a prompt). */
  filesToPick: string[] = [];
  /** Scans attached so far, by `file:` reference (the bytes are the built-in samples). */
  files = new Map<string, StoredFileView>();

  /** The lock: `passphrase` undefined means no data directory yet (the set-up screen). */
  private passphrase: string | undefined;
  private unlocked: boolean;
  private readonly idleLockSeconds: number;

  constructor(options: MemoryOptions = {}) {
    this.passphrase = options.locked?.passphrase ?? (options.locked ? undefined : 'memory passphrase');
    this.unlocked = !options.locked;
    this.idleLockSeconds = options.locked?.idleLockSeconds ?? 600;
    this.actor = options.actor ?? 'clerk';
    this.clock = options.now ?? (() => new Date());
    this.latencyMs = options.latencyMs ?? 0;
    this.syncStepMs = options.syncStepMs ?? 0;
    this.dataDir = options.dataDir ?? '(in memory: a test double, nothing is saved)';
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────

  /** Runs one call after the simulated latency; refused with 401 `locked` while locked,
   *  except for the calls the lock screen makes. */
  private async tick<T>(work: () => T, whileLocked = false): Promise<T> {
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (!this.unlocked && !whileLocked) throw err(401, 'locked', 'Dossier is locked: unlock it to go on', []);
    return clone(work());
  }

  private nextId(): string {
    this.seq += 1;
    const hex = this.seq.toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${hex}`;
  }

  private nowIso(): string {
    return this.clock().toISOString();
  }

  private today(): string {
    return utcDate(this.clock());
  }

  private customer(id: string): StoredCustomer {
    if (!/^[0-9a-f-]{36}$/i.test(id)) {
      throw err(400, 'invalid_input', 'id is not a customer id: expected a UUID', [
        { code: 'invalid_id', message: 'id is not a customer id: expected a UUID', field: 'id' },
      ]);
    }
    const c = this.customers.find((x) => x.id === id);
    if (!c) throw err(404, 'customer_not_found', 'no customer with that id: check the id');
    return c;
  }

  private verification(id: string): VerificationView {
    const v = this.verifications.find((x) => x.id === id);
    if (!v) throw err(404, 'verification_not_found', 'no verification with that id: check the id');
    return v;
  }

  private record(action: string, entityType: string, entityId: string, reason: string | null, summary: JsonValue) {
    this.auditSeq += 1;
    this.audit.push({
      seq: this.auditSeq,
      id: this.nextId(),
      at: this.nowIso(),
      actor: this.actor,
      action,
      entity_type: entityType,
      entity_id: entityId,
      reason,
      summary,
    });
  }

  private enqueue(operation: string, aggregateId: string, subjectId: string | null) {
    const takers = OPERATIONS[operation] ?? [];
    for (const p of this.providers) {
      if (!p.enabled || !takers.includes(p.name)) continue;
      this.outboxSeq += 1;
      const now = this.nowIso();
      this.outbox.push({
        id: this.nextId(),
        seq: this.outboxSeq,
        provider: p.name,
        operation,
        aggregate_id: aggregateId,
        subject_id: subjectId,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        last_error: null,
        remote_id: null,
        idempotency_key: this.nextId(),
        created_at: now,
        updated_at: now,
      });
    }
  }

  private touch(c: StoredCustomer) {
    c.updated_at = this.nowIso();
  }

  // ── derived values ─────────────────────────────────────────────────────────────────────

  private docValid(d: StoredDocument, on: string): boolean {
    return (
      d.status === 'active' && (!d.issued_on || d.issued_on <= on) && (!d.expires_on || d.expires_on >= on)
    );
  }

  gateReasons(c: StoredCustomer, level: VerifyLevel, on: string): GateReasonView[] {
    const failing = new Set<string>();
    if (!c.addresses.some((a) => a.primary && PHYSICAL_ADDRESS_KINDS.includes(a.kind))) {
      failing.add('primary_address_missing');
    }
    if (!c.documents.some((d) => this.docValid(d, on))) failing.add('identity_document_missing');
    if (!c.contacts.some((k) => k.kind === 'email' && k.verified)) failing.add('email_unverified');
    if (!c.contacts.some((k) => k.kind === 'mobile' && k.verified)) failing.add('mobile_unverified');
    if (level === 'full') {
      const taxOk = c.tax.some((t) =>
        c.type === 'individual' ? t.tax_id_type === 'SSN' || t.tax_id_type === 'ITIN' : t.tax_id_type === 'EIN',
      );
      const physical = c.documents.some((d) => PHYSICAL_ID_TYPES.includes(d.type) && this.docValid(d, on));
      if (!taxOk && !physical) failing.add('full_kyc_requires_tax_id_or_physical_id');
    }
    return VERIFY_RULES.filter((r) => failing.has(r.code)).map((r) => ({
      code: r.code,
      label: r.label,
      message: GATE_MESSAGES[r.code] ?? r.label,
    }));
  }

  private gateView(c: StoredCustomer): GateView {
    const on = this.today();
    const partial = this.gateReasons(c, 'partial', on);
    const full = this.gateReasons(c, 'full', on);
    return {
      partial: { passes: partial.length === 0, reasons: partial },
      full: { passes: full.length === 0, reasons: full },
    };
  }

  private eddCases(customerId: string): VerificationView[] {
    return this.verifications
      .filter((v) => v.customer_id === customerId && v.method === EDD_METHOD)
      .sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  }

  private eddStatus(c: StoredCustomer): string {
    const latest = this.eddCases(c.id).at(-1);
    if (!latest) return 'none';
    if (OPEN_VERIFICATION_STATES.includes(latest.state)) return 'in_progress';
    if (latest.state === 'completed') return latest.outcome ?? 'none';
    return 'none';
  }

  private riskOf(c: StoredCustomer): { rating: string; score: number; factors: RiskFactorView[] } {
    const r = this.policy.risk;
    const factors: RiskFactorView[] = [];
    const countries = new Set<string>();
    if (c.person?.country_of_citizenship) countries.add(c.person.country_of_citizenship);
    if (c.person?.country_of_birth) countries.add(c.person.country_of_birth);
    if (c.institution?.country_of_formation) countries.add(c.institution.country_of_formation);
    c.addresses.forEach((a) => countries.add(a.country));
    c.documents.forEach((d) => countries.add(d.issuing_country));
    let prohibited = false;
    for (const country of countries) {
      if (r.prohibited_countries.includes(country)) {
        prohibited = true;
        factors.push({ code: 'prohibited_country', points: 0, detail: `country ${country} is prohibited` });
      }
    }
    const high = [...countries].filter((x) => r.high_risk_countries.includes(x));
    if (high.length) {
      factors.push({
        code: 'high_risk_country',
        points: r.points.high_risk_country ?? 30,
        detail: `high-risk country: ${high.join(', ')}`,
      });
    }
    if (c.politically_exposed) {
      factors.push({
        code: 'politically_exposed_person',
        points: r.points.politically_exposed_person ?? 40,
        detail: 'declared a politically exposed person',
      });
    }
    const industry = c.institution?.industry_type ?? null;
    if (industry && r.prohibited_industries.includes(industry)) {
      prohibited = true;
      factors.push({ code: 'prohibited_industry', points: 0, detail: `industry ${industry} is prohibited` });
    } else if (industry && r.high_risk_industries.includes(industry)) {
      factors.push({
        code: 'high_risk_industry',
        points: r.points.high_risk_industry ?? 30,
        detail: `high-risk industry ${industry}`,
      });
    }
    const level = c.cdd?.expected_activity_level;
    if (level === 'HIGH') {
      factors.push({
        code: 'expected_activity_high',
        points: r.points.expected_activity_high ?? 25,
        detail: 'expected activity HIGH',
      });
    } else if (level === 'MEDIUM') {
      factors.push({
        code: 'expected_activity_medium',
        points: r.points.expected_activity_medium ?? 10,
        detail: 'expected activity MEDIUM',
      });
    }
    if (c.institution) {
      const members = c.institution.members;
      const control = members.some((m) => m.is_control_person);
      const owned = sumScaled(members.map((m) => m.ownership_percentage).filter((p): p is string => !!p));
      if (!control || owned < 75_000_000) {
        factors.push({
          code: 'ownership_opacity',
          points: r.points.ownership_opacity ?? 25,
          detail: !control ? 'no control person named' : 'named owners hold under 75 %',
        });
      }
    }
    const score = factors.reduce((s, f) => s + f.points, 0);
    const rating = prohibited ? 'PROHIBITED' : score >= r.high_from ? 'HIGH' : score >= r.medium_from ? 'MEDIUM' : 'LOW';
    return { rating, score, factors };
  }

  private identityOf(c: StoredCustomer): { status: string; details: { [key: string]: JsonValue } } {
    const details: { [key: string]: JsonValue } = {};
    const add = (key: string, message: string) => {
      details[key] = { message, metadata: {} };
    };
    const risk = this.riskOf(c).rating;
    const own = this.verifications.filter((v) => v.customer_id === c.id);
    const openNonEdd = own.some((v) => v.method !== EDD_METHOD && OPEN_VERIFICATION_STATES.includes(v.state));
    if (c.state === 'pending' || openNonEdd) add('pending_verifications', 'a verification is pending');
    const edd = this.eddStatus(c);
    if (edd === 'in_progress' || (risk === 'HIGH' && edd !== 'passed')) {
      add('pending_edd', 'enhanced due diligence is pending');
    }
    if (c.institution?.members.some((m) => !m.person_customer_id)) {
      add('pending_member_approvals', 'a member is not linked to an approved person');
    }
    const kycDone = own.filter((v) => v.type === 'kyc' && v.method !== EDD_METHOD && v.state === 'completed');
    const lastEdd = this.eddCases(c.id).filter((v) => v.state === 'completed').at(-1);
    if (c.state === 'rejected' || kycDone.at(-1)?.outcome === 'failed' || lastEdd?.outcome === 'failed') {
      add('failed_verifications', 'a verification failed');
    }
    if (risk === 'PROHIBITED') add('prohibited_risk_rating', 'the risk rating is prohibited');
    const controls = c.controls.map((k) => k.type);
    if (controls.length || c.state === 'closed' || c.state === 'withdrawn') {
      add('failed_controls', 'a control is in force');
    }
    let status = 'APPROVED';
    if (controls.includes('denied')) status = 'DENIED';
    else if (controls.includes('frozen')) status = 'ERROR';
    else if (controls.includes('dormant') || controls.includes('closed') || c.state === 'closed' || c.state === 'withdrawn')
      status = 'DISABLED';
    else if (details.prohibited_risk_rating || details.failed_verifications || details.failed_members) status = 'DENIED';
    else if (details.pending_verifications || details.pending_edd || details.pending_member_approvals) status = 'PENDING';
    return { status, details };
  }

  private refreshDue(c: StoredCustomer): string | null {
    const base = c.last_kyc_refresh_date ?? c.verified_on;
    if (!base) return null;
    const rating = this.riskOf(c).rating;
    const years = this.policy.refresh_years[rating];
    return years ? addYears(base, years) : null;
  }

  private view(c: StoredCustomer): CustomerView {
    const on = this.today();
    const risk = this.riskOf(c);
    const edd = this.eddStatus(c);
    const verified = c.state === 'verified' || c.state === 'active';
    const tier = edd === 'passed' && verified ? 'edd' : c.level;
    const view: CustomerView = {
      id: c.id,
      type: c.type,
      ref_id: c.ref_id,
      state: c.state,
      verification_level: c.level,
      state_changed_at: c.state_changed_at,
      addresses: c.addresses,
      contacts: c.contacts,
      documents: c.documents.map(({ rawNumber, ...d }) => ({
        ...d,
        number: mask(rawNumber),
        valid_today: this.docValid({ rawNumber, ...d }, on),
      })),
      tax_details: c.tax.map(({ raw, ...t }) => ({ ...t, tax_id: maskTax(t.tax_id_type, raw) })),
      tax_details_not_required: c.tax_not_required,
      customer_due_diligence: c.cdd,
      controls: c.controls,
      is_merchant: c.is_merchant,
      politically_exposed: c.politically_exposed,
      last_kyc_refresh_date: c.last_kyc_refresh_date,
      metadata: c.metadata,
      created_at: c.created_at,
      updated_at: c.updated_at,
      verification_gate: this.gateView(c),
      risk_rating: risk.rating,
      identity_status: this.identityOf(c).status,
      edd_status: edd,
      kyc_refresh_due_on: this.refreshDue(c),
      activity_limits:
        verified && tier ? { tier, limits: (this.policy.activity_limits[tier] ?? []).map((l) => ({ ...l })) } : null,
      // The test double talks to no provider.
      provider_statuses: [],
      pending_approvals: this.approvalList.filter((a) => a.state === 'pending' && a.customer_id === c.id).map(clone),
    };
    if (c.person) view.person = c.person;
    if (c.institution) view.institution = c.institution;
    return view;
  }

  private queueItem(c: StoredCustomer): QueueItem {
    const v = this.view(c);
    const name = c.person
      ? [c.person.first_name, c.person.middle_name, c.person.last_name].filter(Boolean).join(' ')
      : (c.institution?.legal_name ?? '');
    return {
      id: c.id,
      type: c.type,
      ref_id: c.ref_id,
      name,
      state: c.state,
      verification_level: c.level,
      risk_rating: v.risk_rating,
      identity_status: v.identity_status,
      edd_status: v.edd_status,
      kyc_refresh_due_on: v.kyc_refresh_due_on,
      created_at: c.created_at,
      updated_at: c.updated_at,
    };
  }

  /** What the Rust side indexes for search: the display name ("First Last" or the legal name), the ref id, the emails, the document numbers. */
  private searchColumns(c: StoredCustomer): string[] {
    const name = c.person ? `${c.person.first_name} ${c.person.last_name}` : (c.institution?.legal_name ?? '');
    const emails = c.contacts.filter((k) => k.kind === 'email').map((k) => k.value);
    return [name, c.ref_id, emails.join(' '), c.documents.map((d) => d.rawNumber).join(' ')];
  }

  private slaFor(v: VerificationView): void {
    const caseType = v.method === EDD_METHOD ? 'edd' : v.type;
    const hours = this.policy.sla_hours[caseType];
    v.sla_due_at = hours !== undefined ? new Date(Date.parse(v.created_at) + hours * 3_600_000).toISOString() : null;
    this.refreshSla(v);
  }

  private refreshSla(v: VerificationView): void {
    v.sla_breached =
      OPEN_VERIFICATION_STATES.includes(v.state) && !!v.sla_due_at && Date.parse(v.sla_due_at) < this.clock().getTime();
  }

  private paginate<T>(
    items: T[],
    key: (item: T) => string,
    limit: number | null | undefined,
    after: string | null | undefined,
  ): Page<T> {
    const size = limit ?? 50;
    if (size < 1 || size > 500) {
      throw invalidInput([{ code: 'invalid_limit', message: 'limit must be from 1 to 500', field: 'limit' }]);
    }
    let start = 0;
    if (after) {
      const idx = items.findIndex((i) => key(i) === after);
      if (idx < 0) throw invalidInput([{ code: 'invalid_cursor', message: 'the cursor is not valid', field: 'after' }]);
      start = idx + 1;
    }
    const slice = items.slice(start, start + size);
    const more = start + size < items.length;
    return { items: slice, next: more && slice.length ? key(slice[slice.length - 1]!) : null };
  }

  // ── customers ──────────────────────────────────────────────────────────────────────────

  async sessionState(): Promise<SessionState> {
    return this.tick(() => ({
      directory: this.passphrase === undefined ? 'new' : 'encrypted',
      unlocked: this.unlocked,
      data_dir: this.dataDir,
      idle_lock_seconds: this.idleLockSeconds,
    }), true);
  }

  async setUp(passphrase: string, admin: string, password: string): Promise<AppInfo> {
    await this.tick(() => {
      if ([...password].length < 12) {
        throw invalidInput([{ code: 'password_too_short', message: 'password must have at least 12 characters', field: 'password' }]);
      }
      if (this.passphrase !== undefined) throw err(409, 'already_initialised', 'this data directory is already set up');
      if ([...passphrase].length < 10) {
        throw invalidInput([{ code: 'passphrase_too_short', message: 'passphrase must be at least 10 characters long', field: 'passphrase' }]);
      }
      this.passphrase = passphrase;
      this.users = [{ name: admin, roles: ['admin'], active: true, password, created_at: this.nowIso() }];
      this.actor = admin;
      this.unlocked = true;
    }, true);
    return this.appInfo();
  }

  async unlock(passphrase: string, user: string, password: string): Promise<AppInfo> {
    await this.tick(() => {
      if (passphrase !== this.passphrase) {
        throw err(401, 'wrong_passphrase', 'the passphrase does not open this data directory: check it and try again', []);
      }
      const u = this.users.find((x) => x.name.toLowerCase() === user.toLowerCase());
      if (this.users.length && (!u || !u.active || u.password !== password)) {
        throw err(401, 'sign_in_failed', 'the user name or password is wrong, or the user is disabled');
      }
      if (u) this.actor = u.name;
      this.unlocked = true;
    }, true);
    return this.appInfo();
  }

  async lock(): Promise<void> {
    await this.tick(() => {
      this.unlocked = false;
    }, true);
  }

  /** Users as the backend keeps them (passwords in clear: a test double). */
  users: Array<{ name: string; roles: string[]; active: boolean; password: string; created_at: string }> = [];
  approvalList: ApprovalView[] = [];
  private heldRuns = new Map<string, () => Promise<unknown>>();

  private roles(): string[] {
    return this.users.find((u) => u.name === this.actor)?.roles ?? ['branch_staff', 'officer', 'supervisor', 'admin'];
  }

  private userView(u: MemoryBackend['users'][number]): UserView {
    return { id: `user-${u.name}`, name: u.name, roles: [...u.roles] as UserView['roles'], active: u.active, created_at: u.created_at, created_by: 'admin', updated_at: u.created_at, updated_by: 'admin' };
  }

  private requireRole(roles: string[], permission: string) {
    if (!this.roles().some((r) => roles.includes(r))) {
      throw err(403, 'role_required', `this needs the ${permission} permission, which ${roles.join(', ')} hold`);
    }
  }

  /** Everything a command can change, to rehearse one and undo it. */
  private snapshot() {
    return clone({ customers: this.customers, verifications: this.verifications, decisionLog: this.decisionLog, audit: this.audit, outbox: this.outbox, seq: this.seq, auditSeq: this.auditSeq });
  }

  private restore(snap: ReturnType<MemoryBackend['snapshot']>) {
    Object.assign(this, snap);
  }

  private syncPending() {
    for (const v of this.verifications) {
      v.pending_approvals = this.approvalList.filter((a) => a.state === 'pending' && a.entity_id === v.id).map(clone);
    }
  }

  /** Four-eyes: the command is rehearsed in full (so a refusal comes now), then held until a
   *  second supervisor approves it. */
  private async held<T>(kind: string, entityId: string, customerId: string, command: JsonValue, makerReason: string | null, run: () => Promise<T>): Promise<Submitted<T>> {
    const snap = this.snapshot();
    try {
      await run();
    } finally {
      this.restore(snap);
    }
    if (this.approvalList.some((a) => a.state === 'pending' && a.kind === kind && a.entity_id === entityId)) {
      throw err(409, 'approval_pending', 'a request of that kind about this already waits for approval');
    }
    const a: ApprovalView = {
      id: this.nextId(),
      seq: this.approvalList.length + 1,
      kind,
      entity_id: entityId,
      customer_id: customerId,
      command,
      maker: this.actor,
      maker_reason: makerReason,
      created_at: this.nowIso(),
      state: 'pending',
      checker: null,
      decided_at: null,
      checker_reason: null,
    };
    this.approvalList.push(a);
    this.heldRuns.set(a.id, run);
    this.record('approval.requested', 'customer', customerId, makerReason, { kind, approval_id: a.id });
    this.syncPending();
    return { status: 202, pending_approval: clone(a) };
  }

  private approval(id: string): ApprovalView {
    const a = this.approvalList.find((x) => x.id === id);
    if (!a) throw err(404, 'approval_not_found', 'no approval request with that id');
    if (a.state !== 'pending') throw err(409, 'approval_not_pending', 'the request is decided already');
    return a;
  }

  async listApprovals(q: ApprovalQuery): Promise<Page<ApprovalView>> {
    return this.tick(() => {
      const items = this.approvalList.filter((a) => (!q.state || a.state === q.state) && (!q.kind || a.kind === q.kind) && (!q.customer_id || a.customer_id === q.customer_id));
      return { items, next: null };
    });
  }

  async approve(id: string, reason: string | null): Promise<ApprovalView> {
    const a = this.approval(id);
    this.requireRole(['supervisor'], 'approve');
    if (a.maker === this.actor) throw err(403, 'four_eyes_same_user', 'a second person must approve: you asked for this one');
    const checker = this.actor;
    this.actor = a.maker;
    try {
      await this.heldRuns.get(id)!();
    } finally {
      this.actor = checker;
    }
    Object.assign(a, { state: 'approved', checker, decided_at: this.nowIso(), checker_reason: reason });
    this.record('approval.approved', 'customer', a.customer_id, reason, { kind: a.kind, approval_id: a.id, maker: a.maker });
    this.syncPending();
    return clone(a);
  }

  async rejectApproval(id: string, reason: string): Promise<ApprovalView> {
    const a = this.approval(id);
    this.requireRole(['supervisor'], 'approve');
    if (a.maker === this.actor) throw err(403, 'four_eyes_same_user', 'a second person must decide: you asked for this one');
    Object.assign(a, { state: 'rejected', checker: this.actor, decided_at: this.nowIso(), checker_reason: reason });
    this.record('approval.rejected', 'customer', a.customer_id, reason, { kind: a.kind, approval_id: a.id });
    this.syncPending();
    return this.tick(() => a);
  }

  async withdrawApproval(id: string): Promise<ApprovalView> {
    const a = this.approval(id);
    if (a.maker !== this.actor) throw err(403, 'not_the_maker', 'only whoever asked can withdraw a request');
    Object.assign(a, { state: 'withdrawn', decided_at: this.nowIso() });
    this.syncPending();
    return this.tick(() => a);
  }

  async listUsers(): Promise<UserView[]> {
    return this.tick(() => {
      this.requireRole(['admin'], 'manage_users');
      return this.users.map((u) => this.userView(u));
    });
  }

  async addUser(name: string, roles: string[], password: string): Promise<UserView> {
    return this.tick(() => {
      this.requireRole(['admin'], 'manage_users');
      if (this.users.some((u) => u.name.toLowerCase() === name.toLowerCase())) throw err(409, 'user_exists', 'another user has this name');
      if ([...password].length < 12) throw invalidInput([{ code: 'password_too_short', message: 'password must have at least 12 characters', field: 'password' }]);
      const u = { name, roles: [...roles], active: true, password, created_at: this.nowIso() };
      this.users.push(u);
      this.record('user.add', 'user', `user-${name}`, null, { roles });
      return this.userView(u);
    });
  }

  private user(name: string) {
    const u = this.users.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!u) throw err(404, 'user_not_found', 'no user with that name');
    return u;
  }

  async setUserRoles(name: string, roles: string[]): Promise<UserView> {
    return this.tick(() => {
      this.requireRole(['admin'], 'manage_users');
      const u = this.user(name);
      u.roles = [...roles];
      return this.userView(u);
    });
  }

  async disableUser(name: string): Promise<UserView> {
    return this.tick(() => {
      this.requireRole(['admin'], 'manage_users');
      const u = this.user(name);
      if (u.name === this.actor) throw err(403, 'cannot_disable_self', 'you cannot disable yourself');
      u.active = false;
      return this.userView(u);
    });
  }

  async enableUser(name: string): Promise<UserView> {
    return this.tick(() => {
      this.requireRole(['admin'], 'manage_users');
      const u = this.user(name);
      u.active = true;
      return this.userView(u);
    });
  }

  async changePassword(name: string | null, password: string): Promise<UserView> {
    return this.tick(() => {
      const u = this.user(name ?? this.actor);
      if (u.name !== this.actor) this.requireRole(['admin'], 'manage_users');
      u.password = password;
      return this.userView(u);
    });
  }

  /** Backups written so far, by path: the customers at that moment and the passphrase. */
  backups = new Map<string, { customers: StoredCustomer[]; passphrase: string; at: string }>();

  async backup(path: string | null): Promise<BackupView | null> {
    return this.tick(() => {
      if (path === null) return null;
      if (this.backups.has(path)) throw invalidInput([{ code: 'file_exists', message: 'the backup file exists already: choose a new name', field: 'file' }]);
      this.backups.set(path, { customers: clone(this.customers), passphrase: this.passphrase ?? '', at: this.nowIso() });
      return { path, bytes: 4096 + this.customers.length * 2048, scans: this.files.size, created_at: this.nowIso(), schema_version: 7 };
    });
  }

  async restoreBackup(path: string | null, passphrase: string): Promise<RestoreView | null> {
    return this.tick(() => {
      if (path === null) return null;
      this.unlocked = false;
      const found = this.backups.get(path);
      if (!found) throw invalidInput([{ code: 'file_unreadable', message: 'the backup file could not be read: check that it exists', field: 'file' }]);
      if (found.passphrase !== passphrase) throw err(401, 'wrong_passphrase', 'the passphrase does not open this data directory: check it and try again', []);
      this.customers = clone(found.customers);
      this.passphrase = passphrase;
      return { data_dir: this.dataDir, previous: `${this.dataDir}.before-restore`, created_at: found.at, audit_events: this.audit.length, scans: this.files.size };
    });
  }

  async reveal(id: string, input: RevealInput): Promise<RevealedView> {
    return this.tick(() => {
      const c = this.customer(id);
      const field = input.field === 'tax_id' ? 'tax_id' : input.field === 'document_number' ? 'document_number' : null;
      if (!field) throw invalidInput([{ code: 'unknown_value', message: 'field must be one of tax_id, document_number', field: 'field' }]);
      const items = field === 'tax_id' ? c.tax.map((t) => ({ id: t.id, value: groupTax(t.tax_id_type, t.raw) })) : c.documents.map((d) => ({ id: d.id, value: d.rawNumber }));
      const found = input.item_id ? items.filter((i) => i.id === input.item_id) : items;
      if (found.length === 0) throw err(404, field === 'tax_id' ? 'tax_detail_not_found' : 'document_not_found', 'no such item on this customer');
      if (found.length > 1) throw err(422, 'reveal_ambiguous', 'the customer has several numbers of that kind: name one by id');
      const item = found[0]!;
      this.record('pii.revealed', 'customer', c.id, input.reason ?? null, { field, item_id: item.id });
      return { customer_id: c.id, field, item_id: item.id, value: item.value };
    });
  }

  async appInfo(): Promise<AppInfo> {
    return this.tick(
      () => ({ data_dir: this.dataDir, version: '0.1.0-memory', actor: this.unlocked ? this.actor : '', roles: this.unlocked ? this.roles() : [], sandbox_url: null, launched_at_ms: 0 }),
      true,
    );
  }

  async listQueue(q: Parameters<Backend['listQueue']>[0]): Promise<Page<QueueItem>> {
    return this.tick(() => {
      const now = this.clock().getTime();
      const search = searchWords(q.search);
      if ('reason' in search) throw invalidInput([search.reason]);
      const matching = this.customers.filter((c) => {
        const item = this.queueItem(c);
        if (search.words.length && !matchesSearch(search.words, this.searchColumns(c))) return false;
        if (q.state && c.state !== q.state) return false;
        if (q.edd && item.edd_status !== q.edd) return false;
        if (q.risk && item.risk_rating !== q.risk) return false;
        if (q.identity_status && item.identity_status !== q.identity_status) return false;
        if (q.refresh_due_before && !(item.kyc_refresh_due_on && item.kyc_refresh_due_on < q.refresh_due_before)) {
          return false;
        }
        const needsVerification = q.verification_state || q.verification_method || q.assignee || q.sla_breached;
        if (needsVerification) {
          const ok = this.verifications.some((v) => {
            if (v.customer_id !== c.id) return false;
            if (v.snoozed_until && Date.parse(v.snoozed_until) > now) return false;
            this.refreshSla(v);
            if (q.verification_state && v.state !== q.verification_state) return false;
            if (q.verification_method && v.method !== q.verification_method) return false;
            if (q.assignee && v.assignee !== q.assignee) return false;
            if (q.sla_breached && !v.sla_breached) return false;
            return true;
          });
          if (!ok) return false;
        }
        return true;
      });
      const sort = q.sort ?? 'newest';
      const sorted = matching.map((c) => this.queueItem(c));
      if (sort === 'oldest') sorted.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
      else if (sort === 'refresh_due') {
        sorted.sort((a, b) => (a.kyc_refresh_due_on ?? '9999') .localeCompare(b.kyc_refresh_due_on ?? '9999'));
      } else sorted.sort((a, b) => (a.created_at > b.created_at ? -1 : a.created_at < b.created_at ? 1 : 0));
      if (!['newest', 'oldest', 'refresh_due'].includes(sort)) {
        throw invalidInput([{ code: 'unknown_value', message: 'sort is not one of: newest, oldest, refresh_due', field: 'sort' }]);
      }
      return this.paginate(sorted, (i) => i.id, q.limit, q.after);
    });
  }

  async getCustomer(id: string): Promise<CustomerView> {
    return this.tick(() => this.view(this.customer(id)));
  }

  private build(input: CreateCustomerInput, id: string, now: string): StoredCustomer {
    const t = (s: string | null | undefined) => (s && s.trim() ? s.trim() : null);
    const c: StoredCustomer = {
      id,
      type: input.type === 'business' ? 'business' : 'individual',
      ref_id: (input.ref_id ?? '').trim(),
      state: 'pending',
      level: null,
      verified_on: null,
      state_changed_at: now,
      addresses: [],
      contacts: [],
      documents: [],
      tax: [],
      tax_not_required: input.tax_details_not_required,
      cdd: input.customer_due_diligence
        ? {
            source_of_funds: t(input.customer_due_diligence.source_of_funds),
            source_of_wealth: t(input.customer_due_diligence.source_of_wealth),
            purpose_of_account: t(input.customer_due_diligence.purpose_of_account),
            expected_activity_level: t(input.customer_due_diligence.expected_activity_level),
          }
        : null,
      controls: [],
      is_merchant: input.is_merchant,
      politically_exposed: input.politically_exposed,
      last_kyc_refresh_date: t(input.last_kyc_refresh_date),
      metadata: { ...input.metadata },
      created_at: now,
      updated_at: now,
    };
    if (input.person && c.type === 'individual') {
      const p = input.person;
      c.person = {
        first_name: t(p.first_name) ?? '',
        middle_name: t(p.middle_name),
        last_name: t(p.last_name) ?? '',
        date_of_birth: t(p.date_of_birth) ?? '',
        country_of_citizenship: t(p.country_of_citizenship)?.toUpperCase() ?? null,
        country_of_birth: t(p.country_of_birth)?.toUpperCase() ?? null,
        occupation: t(p.occupation),
      };
    }
    if (input.institution && c.type === 'business') {
      const i = input.institution;
      c.institution = {
        legal_name: t(i.legal_name) ?? '',
        doing_business_as_name: t(i.doing_business_as_name),
        incorporation_date: t(i.incorporation_date),
        country_of_formation: (t(i.country_of_formation) ?? '').toUpperCase(),
        industry_type: t(i.industry_type),
        legal_entity_type: t(i.legal_entity_type),
        website: t(i.website),
        business_description: t(i.business_description),
        members: i.members.map((m) => this.memberView(m)),
      };
    }
    input.addresses.forEach((a) => c.addresses.push(this.addressView(a)));
    input.contacts.forEach((k) => c.contacts.push(this.contactView(k.kind ?? '', k.value ?? '')));
    input.documents.forEach((d) => c.documents.push(this.documentRecord(d)));
    input.tax_details.forEach((x) =>
      c.tax.push({
        id: this.nextId(),
        tax_id_type: x.tax_id_type ?? '',
        country: (x.country ?? '').toUpperCase(),
        raw: (x.tax_id ?? '').replace(/[-\s]/g, ''),
      }),
    );
    return c;
  }

  private memberView(m: MemberInput): MemberView {
    const pct = m.ownership_percentage;
    return {
      id: this.nextId(),
      first_name: (m.first_name ?? '').trim(),
      last_name: (m.last_name ?? '').trim(),
      title: m.title?.trim() || null,
      roles: [...m.roles],
      ownership_percentage: pct === null || pct === undefined || pct === '' ? null : String(pct),
      date_of_birth: m.date_of_birth || null,
      is_control_person: m.is_control_person,
      person_customer_id: m.person_customer_id || null,
    };
  }

  private addressView(a: Parameters<Backend['addAddress']>[1]): AddressView {
    return {
      id: this.nextId(),
      kind: a.kind ?? '',
      primary: a.primary,
      street_address: (a.street_address ?? '').trim(),
      street_address_2: a.street_address_2?.trim() || null,
      city: (a.city ?? '').trim(),
      state: a.state?.trim() || null,
      postal_code: a.postal_code?.trim() || null,
      country: (a.country ?? '').trim().toUpperCase(),
    };
  }

  private contactView(kind: string, value: string): ContactView {
    const normal = kind === 'email' ? normaliseEmail(value) : normalisePhone(value);
    return {
      id: this.nextId(),
      kind,
      value: normal ?? value,
      verified: false,
      verification_method: null,
      verified_at: null,
    };
  }

  private documentRecord(d: DocumentInput): StoredDocument {
    return {
      id: this.nextId(),
      type: d.type ?? '',
      rawNumber: (d.number ?? '').trim(),
      issuing_country: (d.issuing_country ?? '').toUpperCase(),
      issued_on: d.issued_on || null,
      expires_on: d.expires_on || null,
      status: d.status || 'active',
      files: d.files.map((f) => ({ role: f.role ?? 'other', reference: f.reference ?? '' })),
    };
  }

  async createCustomer(input: CreateCustomerInput): Promise<CustomerView> {
    return this.tick(() => {
      const reasons = validateCreate(input, this.today());
      if (reasons.length) throw invalidInput(reasons);
      const ref = (input.ref_id ?? '').trim();
      if (this.customers.some((c) => c.ref_id === ref)) {
        throw err(409, 'ref_id_exists', 'a customer with this ref_id already exists: use another ref_id', [
          { code: 'ref_id_exists', message: 'ref_id is already in use: choose another', field: 'ref_id' },
        ]);
      }
      const members = input.institution?.members ?? [];
      members.forEach((m, i) => {
        if (!m.person_customer_id) return;
        const field = `institution.members[${i}].person_customer_id`;
        const linked = this.customers.find((c) => c.id === m.person_customer_id);
        if (!linked) {
          throw err(404, 'customer_not_found', `${field}: no customer with that id`, [
            { code: 'customer_not_found', message: `${field}: no customer with that id`, field },
          ]);
        }
        if (linked.type !== 'individual') {
          throw err(422, 'member_not_a_person', `${field} must be an individual customer`, [
            { code: 'member_not_a_person', message: 'a member must be an individual', field },
          ]);
        }
      });
      this.checkStored(
        input.documents.flatMap((d, i) =>
          d.files.map((f, j): [string, string | null] => [`documents[${i}].files[${j}].reference`, f.reference]),
        ),
      );
      const now = this.nowIso();
      const c = this.build(input, this.nextId(), now);
      this.customers.push(c);
      this.record('customer.create', 'customer', c.id, null, {
        type: c.type,
        state: 'pending',
        addresses: c.addresses.length,
        contacts: c.contacts.length,
        documents: c.documents.length,
        tax_details: c.tax.length,
        members: c.institution?.members.length ?? 0,
      });
      this.enqueue('customer.create', c.id, null);
      return this.view(c);
    });
  }

  async previewGate(input: CreateCustomerInput, verified: string[]) {
    return this.tick(() => {
      const reasons = validateCreate(input, this.today());
      if (reasons.length) return { gate: null, field_errors: reasons };
      const c = this.build(input, '00000000-0000-4000-8000-ffffffffffff', this.nowIso());
      c.contacts.forEach((k) => {
        if (verified.includes(k.kind)) k.verified = true;
      });
      return { gate: this.gateView(c), field_errors: [] };
    });
  }

  private change(id: string, work: (c: StoredCustomer) => void): Promise<CustomerView> {
    return this.tick(() => {
      const c = this.customer(id);
      work(c);
      this.touch(c);
      return this.view(c);
    });
  }

  async addAddress(id: string, input: Parameters<Backend['addAddress']>[1]) {
    const f = new Fields();
    validAddress(f, 'address', input);
    return this.change(id, (c) => {
      if (f.reasons.length) throw invalidInput(f.reasons);
      const a = this.addressView(input);
      if (a.primary) c.addresses.forEach((x) => (x.primary = false));
      c.addresses.push(a);
      this.record('customer.add_address', 'customer', c.id, null, { address_id: a.id, kind: a.kind, primary: a.primary });
    });
  }

  async addDocument(id: string, input: DocumentInput) {
    const f = new Fields();
    validDocument(f, 'document', input, this.today());
    return this.change(id, (c) => {
      if (f.reasons.length) throw invalidInput(f.reasons);
      this.checkStored(input.files.map((x, j): [string, string | null] => [`document.files[${j}].reference`, x.reference]));
      const d = this.documentRecord(input);
      c.documents.push(d);
      this.record('customer.add_document', 'customer', c.id, null, { document_id: d.id, type: d.type });
    });
  }

  async addContact(id: string, input: Parameters<Backend['addContact']>[1]) {
    const f = new Fields();
    const value = validContact(f, 'contact', input);
    return this.change(id, (c) => {
      if (f.reasons.length || !value) throw invalidInput(f.reasons);
      if (c.contacts.some((k) => k.value.toLowerCase() === value.toLowerCase())) {
        throw err(409, 'contact_exists', 'the customer already has this contact');
      }
      const k = this.contactView(input.kind ?? '', value);
      c.contacts.push(k);
      this.record('customer.add_contact', 'customer', c.id, null, { contact_id: k.id, kind: k.kind });
    });
  }

  async addTaxDetail(id: string, input: Parameters<Backend['addTaxDetail']>[1]) {
    const f = new Fields();
    const digits = validTaxDetail(f, 'tax_detail', input);
    return this.change(id, (c) => {
      if (f.reasons.length || !digits) throw invalidInput(f.reasons);
      const t: StoredTax = {
        id: this.nextId(),
        tax_id_type: input.tax_id_type ?? '',
        country: (input.country ?? '').toUpperCase(),
        raw: digits,
      };
      c.tax.push(t);
      const cleared = c.tax_not_required;
      c.tax_not_required = false;
      this.record('customer.add_tax_detail', 'customer', c.id, null, { tax_detail_id: t.id, cleared_not_required: cleared });
    });
  }

  async addMember(id: string, input: MemberInput) {
    const f = new Fields();
    validMember(f, 'member', input, this.today());
    return this.change(id, (c) => {
      if (f.reasons.length) throw invalidInput(f.reasons);
      if (!c.institution) throw err(422, 'not_a_business', 'only business customers have members');
      const m = this.memberView(input);
      const all = [...c.institution.members, m].map((x) => x.ownership_percentage).filter((p): p is string => !!p);
      if (sumScaled(all) > 100_000_000) {
        throw invalidInput([
          {
            code: 'ownership_exceeds_100',
            message: 'member.ownership_percentage ownership percentages add up to more than 100: correct them',
            field: 'member.ownership_percentage',
          },
        ]);
      }
      c.institution.members.push(m);
      this.record('customer.add_member', 'customer', c.id, null, { member_id: m.id, roles: m.roles });
    });
  }

  async verifyContact(id: string, input: Parameters<Backend['verifyContact']>[1]) {
    const f = new Fields();
    const kind = f.oneOf('kind', input.kind, ['email', 'mobile']);
    const method = f.oneOf(
      'method',
      input.method,
      CONTACT_METHODS.map((m) => m.value),
    );
    return this.change(id, (c) => {
      if (f.reasons.length || !kind || !method) throw invalidInput(f.reasons);
      const ofKind = c.contacts.filter((k) => k.kind === kind);
      let target: ContactView | undefined;
      if (input.contact_id) {
        target = ofKind.find((k) => k.id === input.contact_id);
        if (!target) throw err(404, 'contact_not_found', 'no contact with that id: check the id');
      } else {
        const unverified = ofKind.filter((k) => !k.verified);
        if (!ofKind.length) throw err(422, 'contact_missing', `the customer has no ${kind} contact: add one first`);
        if (!unverified.length) throw err(409, 'contact_already_verified', `the customer's ${kind} is already verified`);
        if (unverified.length > 1) {
          throw err(
            422,
            'contact_ambiguous',
            `the customer has several unverified ${kind} contacts: name one with contact_id`,
          );
        }
        target = unverified[0];
      }
      if (!target) throw err(404, 'contact_not_found', 'no contact with that id: check the id');
      if (target.verified) throw err(409, 'contact_already_verified', 'that contact is already verified');
      target.verified = true;
      target.verification_method = method;
      target.verified_at = this.nowIso();
      this.record('customer.verify_contact', 'customer', c.id, null, { contact_id: target.id, kind, method });
    });
  }

  async verifyCustomer(id: string, level: VerifyLevel, note: string | null) {
    return this.change(id, (c) => {
      if (level !== 'partial' && level !== 'full') {
        throw invalidInput([{ code: 'unknown_value', message: 'level is not one of: partial, full', field: 'level' }]);
      }
      const upgrade = (c.state === 'verified' || c.state === 'active') && c.level === 'partial' && level === 'full';
      if (c.state !== 'pending' && !upgrade) {
        if (c.state === 'verified' || c.state === 'active') {
          throw err(403, 'customer_already_verified', `the customer is already verified at ${c.level}`);
        }
        throw err(403, 'invalid_transition', `cannot verify a ${c.state} customer`);
      }
      const missing = this.gateReasons(c, level, this.today());
      if (missing.length) {
        throw err(
          403,
          'domain_rule_violation',
          `cannot verify: ${missing.length} rule${missing.length === 1 ? '' : 's'} not met: ${missing
            .map((m) => m.code)
            .join(', ')}`,
          missing.map((m) => ({ code: m.code, message: m.message })),
        );
      }
      const from = c.state;
      if (!upgrade) {
        c.state = 'verified';
        c.state_changed_at = this.nowIso();
        c.verified_on = this.today();
      }
      c.level = level;
      this.enqueue('customer.verify', c.id, null);
      this.record('customer.verify', 'customer', c.id, note?.trim() || null, { from, to: c.state, level });
    });
  }

  async activateCustomer(id: string) {
    return this.change(id, (c) => {
      if (c.state === 'pending') throw err(403, 'customer_not_verified', 'the customer is not verified: verify it first');
      if (c.state === 'active') throw err(403, 'customer_already_active', 'the customer is already active');
      if (c.state !== 'verified' || !c.level) throw err(403, 'invalid_transition', `cannot activate a ${c.state} customer`);
      const missing = [...this.gateReasons(c, c.level, this.today())];
      for (const rule of ACTIVATE_ONLY_RULES) {
        const type = rule.code.replace('control_', '');
        if (c.controls.some((k) => k.type === type)) {
          missing.push({ code: rule.code, label: rule.label, message: rule.label });
        }
      }
      if (missing.length) {
        throw err(
          403,
          'domain_rule_violation',
          `cannot activate: ${missing.length} rule${missing.length === 1 ? '' : 's'} not met: ${missing
            .map((m) => m.code)
            .join(', ')}`,
          missing.map((m) => ({ code: m.code, message: m.message })),
        );
      }
      c.state = 'active';
      c.state_changed_at = this.nowIso();
      this.enqueue('customer.activate', c.id, null);
      this.record('customer.activate', 'customer', c.id, null, { from: 'verified', to: 'active', level: c.level });
    });
  }

  async lifecycle(id: string, action: LifecycleAction, reason: string): Promise<Submitted<CustomerView>> {
    if (action === 'undo_rejection') {
      return this.held('undo_rejection', id, id, { command: 'undo_rejection', customer_id: id, reason }, reason, () => this.applyLifecycle(id, action, reason));
    }
    return this.applyLifecycle(id, action, reason);
  }

  private async applyLifecycle(id: string, action: LifecycleAction, reason: string) {
    return this.change(id, (c) => {
      if (!reason || !reason.trim()) {
        throw invalidInput([{ code: 'required', message: 'reason is required and must not be empty', field: 'reason' }]);
      }
      const table: Record<LifecycleAction, [string[], string]> = {
        reject: [['pending'], 'rejected'],
        withdraw: [['pending'], 'withdrawn'],
        undo_rejection: [['rejected'], 'pending'],
        undo_withdrawal: [['withdrawn'], 'pending'],
        close: [['verified', 'active'], 'closed'],
        reactivate: [['closed'], 'pending'],
      };
      const entry = table[action];
      if (!entry) throw invalidInput([{ code: 'unknown_value', message: 'action is not known', field: 'action' }]);
      const [from, to] = entry;
      if (!from.includes(c.state)) {
        throw err(403, 'invalid_transition', `cannot ${action.replace('_', ' ')} a ${c.state} customer`);
      }
      const was = c.state;
      c.state = to;
      c.state_changed_at = this.nowIso();
      if (to === 'pending') {
        c.level = null;
        c.verified_on = null;
      }
      this.record(`customer.${action}`, 'customer', c.id, reason.trim(), { from: was, to });
    });
  }

  // ── verifications and EDD ──────────────────────────────────────────────────────────────

  async listVerifications(q: Parameters<Backend['listVerifications']>[0]) {
    return this.tick(() => {
      const list = this.verifications
        .filter((v) => {
          this.refreshSla(v);
          if (q.customer_id && v.customer_id !== q.customer_id) return false;
          if (q.type && v.type !== q.type) return false;
          if (q.method && v.method !== q.method) return false;
          if (q.states.length && !q.states.includes(v.state)) return false;
          if (q.outcome && v.outcome !== q.outcome) return false;
          return true;
        })
        .sort((a, b) => (a.created_at > b.created_at ? -1 : a.created_at < b.created_at ? 1 : b.id.localeCompare(a.id)));
      return this.paginate(list, (v) => v.id, q.limit, q.after);
    });
  }

  async getVerification(id: string) {
    return this.tick(() => {
      const v = this.verification(id);
      this.refreshSla(v);
      return v;
    });
  }

  private newVerification(customerId: string, type: string, method: string, reference: string | null): VerificationView {
    const now = this.nowIso();
    const v: VerificationView = {
      id: this.nextId(),
      customer_id: customerId,
      type,
      method,
      state: 'storing',
      outcome: null,
      failure_codes: [],
      compliance_checks: [],
      compliance_decisions: [],
      external_reference: reference,
      expires_at: null,
      completed_at: null,
      created_at: now,
      updated_at: now,
      assignee: null,
      sla_due_at: null,
      sla_breached: false,
      snoozed_until: null,
      notes: [],
      decisions: [],
      pending_approvals: [],
    };
    const minutes = this.policy.verification_deadline_minutes[method];
    if (minutes !== undefined) v.expires_at = new Date(Date.parse(now) + minutes * 60_000).toISOString();
    if (method === EDD_METHOD) {
      v.checklist = this.policy.edd_checklist.map((item) => ({ item, satisfied: false, evidence: [] }));
    }
    this.slaFor(v);
    this.verifications.push(v);
    return v;
  }

  async createVerification(input: Parameters<Backend['createVerification']>[0]) {
    return this.tick(() => {
      const f = new Fields();
      const customerId = f.req('customer_id', input.customer_id, 64);
      const type = f.oneOf('type', input.type, VERIFICATION_TYPES);
      const method = f.oneOf('method', input.method, VERIFICATION_METHODS);
      if (f.reasons.length || !customerId || !type || !method) throw invalidInput(f.reasons);
      const c = this.customer(customerId);
      if (method === EDD_METHOD) return this.openEddFor(c);
      const v = this.newVerification(c.id, type, method, input.external_reference?.trim() || null);
      this.record('verification.create', 'verification', v.id, null, { customer_id: c.id, type, method });
      this.enqueue('verification.create', c.id, v.id);
      return v;
    });
  }

  private openEddFor(c: StoredCustomer): VerificationView {
    if (c.state !== 'verified' && c.state !== 'active') {
      throw err(422, 'unverified_customer', 'Customer has not been verified');
    }
    if (this.eddCases(c.id).some((v) => OPEN_VERIFICATION_STATES.includes(v.state))) {
      throw err(409, 'data_exists', 'Identity verification in progress already exists');
    }
    const v = this.newVerification(c.id, 'kyc', EDD_METHOD, null);
    this.record('edd.open', 'verification', v.id, null, { customer_id: c.id });
    this.enqueue('verification.create', c.id, v.id);
    return v;
  }

  async openEdd(customerId: string) {
    return this.tick(() => this.openEddFor(this.customer(customerId)));
  }

  private complete(v: VerificationView, outcome: string, codes: string[]) {
    v.state = 'completed';
    v.outcome = outcome;
    v.failure_codes = codes;
    v.completed_at = this.nowIso();
    v.sla_breached = false;
    const c = this.customers.find((x) => x.id === v.customer_id);
    if (!c) return;
    if (v.type === 'kyc' && v.method !== EDD_METHOD) {
      if (outcome === 'passed') c.last_kyc_refresh_date = this.today();
      if (outcome === 'failed' && c.state === 'pending' && codes.some((x) => x.startsWith('id_') || x.startsWith('selfie_'))) {
        c.state = 'rejected';
        c.state_changed_at = this.nowIso();
      }
    }
    if (v.method !== EDD_METHOD) {
      v.compliance_decisions.push({ type: decisionType(v.method), state: outcome, failure_codes: codes, expired_at: null });
    }
    this.touch(c);
  }

  async advanceVerification(id: string, input: Parameters<Backend['advanceVerification']>[1]) {
    return this.tick(() => {
      const v = this.verification(id);
      const to = input.to ?? '';
      if (!VERIFICATION_STATES.includes(to as (typeof VERIFICATION_STATES)[number]) || to === 'storing') {
        throw invalidInput([{ code: 'invalid_step', message: 'to is not a state you can move to', field: 'to' }]);
      }
      if (to === 'completed' && !input.outcome) {
        throw invalidInput([{ code: 'invalid_step', message: 'completed needs an outcome', field: 'outcome' }]);
      }
      const allowed: Record<string, string[]> = {
        storing: ['waiting', ...(NON_INTERACTIVE_METHODS.includes(v.method) ? ['completed'] : [])],
        waiting: ['pending', 'expired'],
        pending: ['reviewing', 'completed', 'expired'],
        reviewing: ['completed'],
      };
      if (!(allowed[v.state] ?? []).includes(to)) {
        throw err(403, 'invalid_verification_transition', `a ${v.state} verification cannot move to ${to}`);
      }
      input.compliance_checks.forEach((k) =>
        v.compliance_checks.push({ type: k.type ?? '', outcome: k.outcome ?? '', failure_codes: k.failure_codes }),
      );
      if (to === 'completed') this.complete(v, input.outcome ?? 'failed', input.failure_codes);
      else v.state = to;
      v.updated_at = this.nowIso();
      this.refreshSla(v);
      this.record('verification.advance', 'verification', v.id, null, { to });
      return v;
    });
  }

  async decideVerification(id: string, input: Parameters<Backend['decideVerification']>[1]): Promise<Submitted<VerificationView>> {
    const v = this.verifications.find((x) => x.id === id);
    if (v && v.method === EDD_METHOD) {
      return this.held('edd_decision', id, v.customer_id, { command: 'edd_decision', verification_id: id, input: clone(input) as unknown as JsonValue }, input.reason, () => this.applyDecide(id, input));
    }
    return this.applyDecide(id, input);
  }

  private async applyDecide(id: string, input: Parameters<Backend['decideVerification']>[1]) {
    return this.tick(() => {
      const v = this.verification(id);
      const f = new Fields();
      const outcome = f.oneOf('outcome', input.outcome, ['passed', 'failed']);
      const reason = f.req('reason', input.reason, 1000);
      input.failure_codes.forEach((code, i) => {
        if (!/^[a-z0-9_]{1,64}$/.test(code)) {
          f.push(`failure_codes[${i}]`, 'invalid_code', `failure_codes[${i}] is not a code`);
        }
      });
      if (f.reasons.length || !outcome || !reason) throw invalidInput(f.reasons);
      if (!OPEN_VERIFICATION_STATES.includes(v.state)) {
        throw err(403, 'invalid_verification_transition', `a ${v.state} verification cannot be decided`);
      }
      if (v.method === EDD_METHOD && outcome === 'passed') {
        const missing = (v.checklist ?? []).filter((i) => !i.satisfied);
        if (missing.length) {
          throw err(
            403,
            'edd_evidence_missing',
            `cannot pass the case: ${missing.length} checklist item${missing.length === 1 ? '' : 's'} without evidence`,
            missing.map((i) => ({ code: 'edd_evidence_missing', message: `no evidence for ${i.item}: attach some` })),
          );
        }
      }
      const decision: DecisionView = {
        id: this.nextId(),
        verification_id: v.id,
        kind: v.method === EDD_METHOD ? 'edd' : 'verification',
        outcome,
        reason,
        failure_codes: input.failure_codes,
        evidence: (v.checklist ?? []).flatMap((i) => i.evidence.map((e) => e.id)),
        decided_by: this.actor,
        decided_at: this.nowIso(),
      };
      v.decisions.push(decision);
      this.decisionLog.push(decision);
      this.complete(v, outcome, input.failure_codes);
      v.updated_at = this.nowIso();
      this.record(v.method === EDD_METHOD ? 'edd.decide' : 'verification.decide', 'verification', v.id, reason, {
        outcome,
      });
      return v;
    });
  }

  async addEvidence(id: string, input: Parameters<Backend['addEvidence']>[1]) {
    return this.tick(() => {
      const v = this.verification(id);
      if (v.method !== EDD_METHOD || !v.checklist) throw err(422, 'not_an_edd_case', 'evidence is only for EDD cases');
      if (!OPEN_VERIFICATION_STATES.includes(v.state)) throw err(403, 'case_closed', 'the case is decided: no more evidence');
      const f = new Fields();
      const item = f.req('item', input.item, 64);
      const reference = f.req('reference', input.reference, 1024);
      const target = v.checklist.find((i) => i.item === item);
      if (item && !target) f.push('item', 'unknown_value', `item is not one of: ${v.checklist.map((i) => i.item).join(', ')}`);
      if (f.reasons.length || !target || !reference) throw invalidInput(f.reasons);
      this.checkStored([['reference', reference]]);
      target.evidence.push({
        id: this.nextId(),
        reference,
        description: input.description?.trim() || null,
        added_by: this.actor,
        added_at: this.nowIso(),
      });
      target.satisfied = true;
      v.updated_at = this.nowIso();
      this.record('edd.add_evidence', 'verification', v.id, null, { item });
      return v;
    });
  }

  async addNote(id: string, text: string) {
    return this.tick(() => {
      const v = this.verification(id);
      if (!text.trim()) throw invalidInput([{ code: 'required', message: 'text is required and must not be empty', field: 'text' }]);
      v.notes.push({ id: this.nextId(), author: this.actor, text: text.trim(), created_at: this.nowIso() });
      this.record('case.add_note', 'verification', v.id, null, {});
      return v;
    });
  }

  async assignCase(id: string, assignee: string | null) {
    return this.tick(() => {
      const v = this.verification(id);
      v.assignee = assignee?.trim() || null;
      v.updated_at = this.nowIso();
      this.record('case.assign', 'verification', v.id, null, { assignee: v.assignee });
      return v;
    });
  }

  async snoozeCase(id: string, until: string | null, reason: string | null) {
    return this.tick(() => {
      const v = this.verification(id);
      if (!OPEN_VERIFICATION_STATES.includes(v.state)) throw err(403, 'case_closed', 'the case is decided: it cannot be snoozed');
      if (until && !/^\d{4}-\d{2}-\d{2}/.test(until)) {
        throw invalidInput([{ code: 'invalid_date', message: 'until is not a valid date: use YYYY-MM-DD', field: 'until' }]);
      }
      v.snoozed_until = until ? (until.length === 10 ? `${until}T00:00:00.000000Z` : until) : null;
      this.record('case.snooze', 'verification', v.id, reason?.trim() || null, { until });
      return v;
    });
  }

  // ── KYC, identity, risk, decisions, audit ──────────────────────────────────────────────

  private kycFor(id: string): KycState {
    let s = this.kyc.get(id);
    if (!s) {
      s = { results: [], open: [] };
      this.kyc.set(id, s);
    }
    return s;
  }

  /** Test hook: a provider's result with out-of-wallet questions for the customer. */
  addKycQuestions(customerId: string, questions: QuestionView[]): void {
    const s = this.kycFor(customerId);
    s.open = questions;
    s.results.push({
      id: this.nextId(),
      action: 'report',
      status: 'reported',
      verification_level: null,
      provider: 'qolo',
      provider_reference: null,
      response_code: 'QUESTIONS',
      reason_codes: [],
      questions,
      actor: 'sync',
      created_at: this.nowIso(),
    });
  }

  async performKyc(customerId: string, input: Parameters<Backend['performKyc']>[1]): Promise<KycResultsView> {
    return this.tick(() => {
      const c = this.customer(customerId);
      const s = this.kycFor(c.id);
      const push = (action: string, status: string, extra: Partial<KycResultView> = {}) =>
        s.results.push({
          id: this.nextId(),
          action,
          status,
          verification_level: null,
          provider: null,
          provider_reference: null,
          response_code: null,
          reason_codes: [],
          questions: [],
          actor: this.actor,
          created_at: this.nowIso(),
          ...extra,
        });
      const asks =
        input.perform_kyc || input.identifications.length || input.document || input.answers.length || input.client_verification;
      if (!asks) throw invalidInput([{ code: 'nothing_to_perform', message: 'the request asks for nothing' }]);
      if (input.answers.length) {
        if (!s.open.length) throw err(422, 'no_open_questions', 'there are no open questions to answer');
        const reasons: Reason[] = [];
        input.answers.forEach((a, i) => {
          const q = s.open.find((x) => x.key === a.key);
          if (!q) reasons.push({ code: 'unknown_question', message: `answers[${i}] answers no open question`, field: `answers[${i}].key` });
          else if (q.options.length && !q.options.includes(a.answer ?? '')) {
            reasons.push({ code: 'invalid_answer', message: `answers[${i}] is not one of the options`, field: `answers[${i}].answer` });
          }
        });
        if (reasons.length) throw err(422, 'invalid_answers', 'the answers do not fit the open questions', reasons);
        s.open = [];
        push('answers', 'submitted');
      }
      if (input.perform_kyc || input.identifications.length) push('reattempt', 'submitted');
      if (input.document) push('document', 'submitted');
      const cv = input.client_verification;
      if (cv) {
        const f = new Fields();
        f.req('client_verification.verification_provider', cv.verification_provider);
        f.req('client_verification.verification_provider_refnumber', cv.verification_provider_refnumber);
        f.req('client_verification.verification_level', cv.verification_level);
        f.req('client_verification.reason', cv.reason, 1000);
        if (f.reasons.length) throw invalidInput(f.reasons);
        push('client_override', 'overridden', {
          verification_level: cv.verification_level,
          provider: cv.verification_provider,
          provider_reference: cv.verification_provider_refnumber,
        });
        const v = this.newVerification(c.id, 'kyc', 'attested', cv.verification_provider_refnumber);
        const decision: DecisionView = {
          id: this.nextId(),
          verification_id: v.id,
          kind: 'client_override',
          outcome: 'passed',
          reason: cv.reason ?? '',
          failure_codes: [],
          evidence: [],
          decided_by: this.actor,
          decided_at: this.nowIso(),
        };
        v.decisions.push(decision);
        this.decisionLog.push(decision);
        this.complete(v, 'passed', []);
      }
      this.record('kyc.perform', 'customer', c.id, input.notes?.trim() || null, {});
      this.enqueue('kyc.perform', c.id, null);
      return { customer_id: c.id, results: s.results, open_questions: s.open };
    });
  }

  async kycResults(customerId: string): Promise<KycResultsView> {
    return this.tick(() => {
      const c = this.customer(customerId);
      const s = this.kycFor(c.id);
      return { customer_id: c.id, results: s.results, open_questions: s.open };
    });
  }

  async identityStatus(customerId: string): Promise<IdentityStatusView> {
    return this.tick(() => {
      const c = this.customer(customerId);
      const { status, details } = this.identityOf(c);
      return { customer_id: c.id, status, status_details: details };
    });
  }

  async risk(customerId: string): Promise<RiskView> {
    return this.tick(() => {
      const c = this.customer(customerId);
      const r = this.riskOf(c);
      return {
        customer_id: c.id,
        rating: r.rating,
        score: r.score,
        factors: r.factors,
        assessed_at: c.updated_at,
        requires_edd: r.rating === 'HIGH',
        last_kyc_refresh_date: c.last_kyc_refresh_date,
        kyc_refresh_due_on: this.refreshDue(c),
      };
    });
  }

  async decisions(customerId: string): Promise<DecisionView[]> {
    return this.tick(() => {
      const c = this.customer(customerId);
      const ids = new Set(this.verifications.filter((v) => v.customer_id === c.id).map((v) => v.id));
      return this.decisionLog.filter((d) => d.verification_id && ids.has(d.verification_id));
    });
  }

  async auditEvents(q: Parameters<Backend['auditEvents']>[0]) {
    return this.tick(() => {
      const related = q.entity
        ? new Set([q.entity, ...this.verifications.filter((v) => v.customer_id === q.entity).map((v) => v.id)])
        : null;
      const list = this.audit.filter((e) => !related || related.has(e.entity_id));
      return this.paginate(list, (e) => e.id, q.limit, q.after);
    });
  }

  // ── settings and providers ─────────────────────────────────────────────────────────────

  async getPolicy() {
    return this.tick(() => this.policy);
  }

  async setPolicy(input: PolicyDto) {
    return this.tick(() => {
      const f = new Fields();
      if (!['record_only', 'verify_partial', 'verify_full'].includes(input.on_kyc_passed)) {
        f.push('on_kyc_passed', 'unknown_value', 'on_kyc_passed is not one of: record_only, verify_partial, verify_full');
      }
      for (const [key, hours] of Object.entries(input.sla_hours)) {
        if (!(hours > 0) || !Number.isInteger(hours)) {
          f.push(`sla_hours.${key}`, 'invalid_duration', `sla_hours.${key} must be a positive number of hours`);
        }
      }
      for (const [key, minutes] of Object.entries(input.verification_deadline_minutes)) {
        if (!(minutes > 0)) {
          f.push(
            `verification_deadline_minutes.${key}`,
            'invalid_duration',
            `verification_deadline_minutes.${key} must be a positive number of minutes`,
          );
        }
      }
      for (const [key, years] of Object.entries(input.refresh_years)) {
        if (!Number.isInteger(years) || years < 1 || years > 10) {
          f.push(`refresh_years.${key}`, 'invalid_threshold', `refresh_years.${key} must be a number of years from 1 to 10`);
        }
      }
      for (const [tier, limits] of Object.entries(input.activity_limits)) {
        limits.forEach((l, i) => {
          const lf = `activity_limits.${tier}[${i}]`;
          if (!l.activity.trim()) f.push(`${lf}.activity`, 'required', `${lf}.activity is required and must not be empty`);
          if (!/^\d+(\.\d+)?$/.test(l.amount.trim())) {
            f.push(`${lf}.amount`, 'invalid_amount', `${lf}.amount must be a decimal amount of at least 0`);
          }
          if (!/^[A-Z]{3}$/.test(l.currency)) {
            f.push(`${lf}.currency`, 'invalid_currency', `${lf}.currency must be an ISO 4217 code such as USD`);
          }
          if (!['daily', 'weekly', 'monthly', 'lifetime'].includes(l.interval)) {
            f.push(`${lf}.interval`, 'unknown_value', `${lf}.interval is not one of: daily, weekly, monthly, lifetime`);
          }
        });
      }
      input.edd_checklist.forEach((item, i) => {
        if (!/^[a-z0-9_]{1,64}$/.test(item)) {
          f.push(`edd_checklist[${i}]`, 'invalid_code', `edd_checklist[${i}] must be a short word without commas`);
        }
      });
      if (f.reasons.length) throw invalidInput(f.reasons);
      this.policy = clone(input);
      this.record('settings.set_policy', 'settings', 'policy', null, {});
      return this.policy;
    });
  }

  private providerView(p: StoredProvider): ProviderView {
    const { reachable: _r, refuses: _x, ...view } = p;
    return view;
  }

  async listProviders() {
    return this.tick(() => this.providers.map((p) => this.providerView(p)));
  }

  async setProvider(input: Parameters<Backend['setProvider']>[0]) {
    return this.tick(() => {
      const f = new Fields();
      const name = f.oneOf('name', input.name, ALL_PROVIDERS);
      const url = f.req('base_url', input.base_url, 500);
      if (url && !/^https?:\/\//.test(url)) f.push('base_url', 'invalid_url', 'base_url must start with http:// or https://');
      if (f.reasons.length || !name || !url) throw invalidInput(f.reasons);
      let p = this.providers.find((x) => x.name === name);
      if (!p) {
        p = {
          name,
          base_url: url,
          client_id: null,
          tenant: null,
          enabled: true,
          has_secret: false,
          updated_at: this.nowIso(),
          reachable: true,
          refuses: [],
        };
        this.providers.push(p);
      }
      p.base_url = url;
      p.client_id = input.client_id?.trim() || null;
      p.tenant = input.tenant?.trim() || null;
      if (input.client_secret) p.has_secret = true;
      p.enabled = true;
      p.updated_at = this.nowIso();
      return this.providerView(p);
    });
  }

  async disableProvider(name: string) {
    return this.tick(() => {
      const p = this.providers.find((x) => x.name === name);
      if (!p) throw err(404, 'provider_not_found', 'no provider with that name: check the name');
      p.enabled = false;
      p.updated_at = this.nowIso();
      return this.providerView(p);
    });
  }

  // ── sync ───────────────────────────────────────────────────────────────────────────────

  private status(): SyncStatusView {
    const now = this.clock().getTime();
    return {
      providers: this.providers.map((p) => {
        const mine = this.outbox.filter((m) => m.provider === p.name);
        const count = (s: string) => mine.filter((m) => m.status === s).length;
        const pending = mine.filter((m) => m.status === 'pending' || m.status === 'in_flight');
        const oldest = pending.reduce<number | null>((acc, m) => {
          const t = Date.parse(m.created_at);
          return acc === null || t < acc ? t : acc;
        }, null);
        return {
          name: p.name,
          enabled: p.enabled,
          reachable: p.enabled ? p.reachable : null,
          counts: {
            pending: count('pending'),
            in_flight: count('in_flight'),
            done: count('done'),
            needs_attention: count('needs_attention'),
            discarded: count('discarded'),
          },
          oldest_pending_age_s: oldest === null ? null : Math.max(0, Math.round((now - oldest) / 1000)),
        };
      }),
      open_conflicts: 0,
    };
  }

  async syncStatus() {
    return this.tick(() => this.status());
  }

  async syncList(q: Parameters<Backend['syncList']>[0]) {
    return this.tick(() => {
      if (q.customer && !UUID.test(q.customer)) {
        throw invalidInput([{ code: 'invalid_id', message: 'customer is not a customer id', field: 'customer' }]);
      }
      // Every outbox message's aggregate is a customer.
      const list = this.outbox.filter((m) => (!q.status || m.status === q.status) && (!q.customer || m.aggregate_id === q.customer));
      return this.paginate(list, (m) => m.id, q.limit, q.after);
    });
  }

  async syncRun() {
    if (this.syncing) throw err(409, 'sync_running', 'another sync run works on this data directory: wait for it');
    if (!this.providers.some((p) => p.enabled)) {
      throw err(422, 'no_providers', 'no provider is enabled: set one up in Settings');
    }
    this.syncing = true;
    const progress: SyncProgress = { delivered: 0, retried: 0, needs_attention: 0, reconciled: 0 };
    try {
      const due = this.outbox.filter((m) => m.status === 'pending');
      for (const m of due) {
        if (this.syncStepMs > 0) await new Promise((r) => setTimeout(r, this.syncStepMs));
        const p = this.providers.find((x) => x.name === m.provider);
        m.attempts += 1;
        m.updated_at = this.nowIso();
        if (!p || !p.enabled) continue;
        if (!p.reachable) {
          progress.retried += 1;
          m.last_error = 'network: provider unreachable';
          m.next_attempt_at = new Date(this.clock().getTime() + 60_000).toISOString();
        } else if (p.refuses.includes(m.operation)) {
          progress.needs_attention += 1;
          m.status = 'needs_attention';
          m.last_error = `${m.provider} 422 invalid_request: the provider refused ${m.operation}`;
        } else {
          progress.delivered += 1;
          m.status = 'done';
          m.last_error = null;
          m.remote_id = `${m.provider}-${m.seq.toString()}`;
        }
        for (const l of this.listeners) l({ ...progress });
      }
      return clone({ ...progress, stopped_early: false, status: this.status() });
    } finally {
      this.syncing = false;
    }
  }

  async syncRetry(id: string) {
    return this.tick(() => {
      const m = this.outbox.find((x) => x.id === id);
      if (!m) throw err(404, 'message_not_found', 'no sync message with that id');
      if (m.status !== 'needs_attention') throw err(403, 'not_needing_attention', 'the message does not need attention');
      const p = this.providers.find((x) => x.name === m.provider);
      if (p) p.refuses = p.refuses.filter((op) => op !== m.operation);
      m.status = 'pending';
      m.next_attempt_at = this.nowIso();
      m.updated_at = this.nowIso();
      return m;
    });
  }

  async syncDiscard(id: string, reason: string): Promise<Submitted<OutboxView>> {
    const m = this.outbox.find((x) => x.id === id);
    return this.held('sync_discard', id, m?.aggregate_id ?? '', { command: 'sync_discard', outbox_id: id, reason }, reason, () => this.applyDiscard(id, reason));
  }

  private async applyDiscard(id: string, reason: string) {
    return this.tick(() => {
      const m = this.outbox.find((x) => x.id === id);
      if (!m) throw err(404, 'message_not_found', 'no sync message with that id');
      if (!reason.trim()) throw invalidInput([{ code: 'required', message: 'reason is required and must not be empty', field: 'reason' }]);
      if (m.status !== 'needs_attention' && m.status !== 'pending') {
        throw err(403, 'not_discardable', 'only pending or needs-attention messages can be discarded');
      }
      m.status = 'discarded';
      m.updated_at = this.nowIso();
      this.record('sync.discard', 'outbox', m.id, reason.trim(), {});
      return m;
    });
  }

  async onSyncProgress(handler: (p: SyncProgress) => void): Promise<Unlisten> {
    this.listeners.add(handler);
    return () => {
      this.listeners.delete(handler);
    };
  }

  async openFile(): Promise<StoredFileView | null> {
    let path: string | null = null;
    if (this.filesToPick.length) path = this.filesToPick.shift() ?? null;
    else if (typeof window !== 'undefined' && typeof window.prompt === 'function' && !isTestEnv()) {
      path = window.prompt('Test double: type a file path to attach', '/home/clerk/scans/passport.jpg');
    }
    return path ? this.attachFile(path) : null;
  }

  /**
   * Takes any path whose name ends in a scan's extension (the double reads no disk, so the type
   * comes from the name, where the Rust side reads the content) and hands out a reference made
   * from the path: the same path is the same stored scan.
   */
  async attachFile(path: string): Promise<StoredFileView> {
    return this.tick(() => {
      const name = path.trim().split(/[\\/]/).pop() ?? '';
      const refuse = (code: string, message: string) => invalidInput([{ code, message, field: 'path' }]);
      if (!name) throw refuse('file_unreadable', 'the file could not be read: check that it exists');
      const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
      const mediaType = SCAN_TYPES[ext];
      if (!mediaType) throw refuse('unsupported_file_type', 'the file is not a PNG, JPEG, GIF, WebP or PDF file');
      const sample = mediaType === PDF_TYPE ? SAMPLE_PDF : SAMPLE_PNG;
      const stored: StoredFileView = {
        reference: `file:${fakeDigest(path.trim())}`,
        name,
        media_type: mediaType,
        size: base64Size(sample),
      };
      this.files.set(stored.reference, stored);
      return stored;
    });
  }

  /** A stored scan's bytes: the built-in sample PNG for images, the sample PDF for PDFs. */
  async readFile(reference: string): Promise<FileContentView> {
    return this.tick(() => {
      if (!FILE_REFERENCE.test(reference)) {
        throw invalidInput([{ code: 'invalid_id', message: "reference is not a stored scan's reference", field: 'reference' }]);
      }
      const stored = this.files.get(reference);
      if (!stored) throw err(404, 'file_not_found', 'no file with that id: check the id');
      const pdf = stored.media_type === PDF_TYPE;
      const data = pdf ? SAMPLE_PDF : SAMPLE_PNG;
      return { reference, media_type: pdf ? PDF_TYPE : 'image/png', size: base64Size(data), data_base64: data };
    });
  }

  /** Refuses `file:` references to scans never attached: `(field path, reference)` pairs. */
  private checkStored(refs: Array<[string, string | null]>): void {
    const missing: Reason[] = refs
      .filter(([, r]) => !!r && r.startsWith('file:') && !this.files.has(r))
      .map(([field]) => ({ code: 'file_not_found', message: `${field} names no stored scan: attach the file again`, field }));
    if (missing.length) throw invalidInput(missing);
  }

  // ── dashboard ──────────────────────────────────────────────────────────────────────────

  async dashboard(): Promise<DashboardView> {
    return this.tick(() => {
      const now = this.clock().getTime();
      const open = this.verifications.filter((v) => OPEN_VERIFICATION_STATES.includes(v.state));
      open.forEach((v) => this.refreshSla(v));
      const byState: Record<string, number> = {};
      this.customers.forEach((c) => (byState[c.state] = (byState[c.state] ?? 0) + 1));
      const types = ['edd', 'kyc', 'bank_account', 'counterparty'];
      const queueAge = types.map((t) => {
        const row = { case_type: t, lt_1d: 0, d1_3: 0, d3_7: 0, gt_7d: 0 };
        open
          .filter((v) => (v.method === EDD_METHOD ? 'edd' : v.type) === t)
          .forEach((v) => {
            const days = (now - Date.parse(v.created_at)) / 86_400_000;
            if (days < 1) row.lt_1d += 1;
            else if (days < 3) row.d1_3 += 1;
            else if (days < 7) row.d3_7 += 1;
            else row.gt_7d += 1;
          });
        return row;
      });
      const today = this.today();
      return {
        counts: {
          awaiting_review: open.filter((v) => v.state === 'pending' || v.state === 'reviewing').length,
          sla_breached: open.filter((v) => v.sla_breached).length,
          onboarded_today: this.customers.filter((c) => c.created_at.slice(0, 10) === today).length,
          sync_needs_attention: this.outbox.filter((m) => m.status === 'needs_attention').length,
        },
        funnel: { pending: byState.pending ?? 0, verified: byState.verified ?? 0, active: byState.active ?? 0 },
        queue_age: queueAge,
        oldest_cases: [...open].sort((a, b) => (a.created_at < b.created_at ? -1 : 1)).slice(0, 8),
        customers_by_state: byState,
      };
    });
  }
}

const GATE_MESSAGES: Record<string, string> = {
  primary_address_missing: 'no primary address: add a residential, business or registered address marked primary',
  identity_document_missing: 'no identity document that is active and unexpired on the verification date: add one',
  email_unverified: "no verified email: verify the customer's email address",
  mobile_unverified: "no verified mobile number: verify the customer's mobile number",
  full_kyc_requires_tax_id_or_physical_id:
    "full verification needs an SSN or ITIN (EIN for a business) or a valid physical ID document (passport, passport card, driver's licence, national identity card, residence card)",
};

function decisionType(method: string): string {
  const map: Record<string, string> = {
    id_and_selfie: 'person_gov_id_verification',
    tax_id_and_selfie: 'person_gov_id_verification',
    document_submission: 'person_gov_id_verification',
    attested: 'person_attested',
    attested_id_and_selfie: 'person_gov_id_attested',
    attested_id_and_database: 'person_gov_id_attested',
    attested_database: 'person_attested',
    database: 'person_verification',
    watchlists: 'person_watchlists',
    business_registration: 'business_verification',
    attested_business_registration: 'business_attested',
    attested_business_associate: 'business_associate_attested',
    attested_ownership: 'external_bank_account_attested',
    account_ownership: 'external_bank_account_verification',
  };
  return map[method] ?? 'person_verification';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FILE_REFERENCE = /^file:[0-9a-f]{64}$/;
const PDF_TYPE = 'application/pdf';
const SCAN_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: PDF_TYPE,
};
/** A 12×16 PNG of a grey page with a blue photo box: what every image "scan" shows. */
const SAMPLE_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAwAAAAQCAIAAACtAwlQAAAALElEQVR42mM4f/4aQcQAxL9+/caDSFQ0a+lXOKKDIuo5fPv2Q1jRSDGJIAIALqL5sBy4D0IAAAAASUVORK5CYII=';
/** A one-page PDF (a letter-size "statement": a heading and ruled lines), for PDF "scans". */
const SAMPLE_PDF =
  'JVBERi0xLjQKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC' +
  '9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4KZW5kb2JqCjMgMCBvYmoKPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAg' +
  'MCA2MTIgNzkyXSAvUmVzb3VyY2VzIDw8IC9Gb250IDw8IC9GMSA1IDAgUiA+PiA+PiAvQ29udGVudHMgNCAwIFIgPj4KZW5kb2JqCjQgMCBvYm' +
  'oKPDwgL0xlbmd0aCA2MTQgPj4Kc3RyZWFtCjAuOTMgMC45NCAwLjk3IHJnIDAgNzAwIDYxMiA5MiByZSBmCjAuMzEgMC4yNyAwLjkgcmcgNDgg' +
  'NzMwIDM2IDM2IHJlIGYKQlQgL0YxIDIyIFRmIDAuMTEgMC4xMSAwLjEzIHJnIDk4IDczOCBUZCAoU2FtcGxlIHN0YXRlbWVudCkgVGogRVQKQl' +
  'QgL0YxIDEwIFRmIDAuMzcgMC4zNyAwLjQyIHJnIDQ4IDY3MCBUZCAoSW4tbWVtb3J5IHRlc3QgZG91YmxlOiBldmVyeSBQREYgc2NhbiBzaG93' +
  'cyB0aGlzIHBhZ2UuKSBUaiBFVAowLjg1IDAuODUgMC44OCBSRyAxIHcKNDggNjMwIG0gNTY0IDYzMCBsIFMKNDggNjA0IG0gNDc0IDYwNCBsIF' +
  'MKNDggNTc4IG0gMzg0IDU3OCBsIFMKNDggNTUyIG0gNTY0IDU1MiBsIFMKNDggNTI2IG0gNDc0IDUyNiBsIFMKNDggNTAwIG0gMzg0IDUwMCBs' +
  'IFMKNDggNDc0IG0gNTY0IDQ3NCBsIFMKNDggNDQ4IG0gNDc0IDQ0OCBsIFMKNDggNDIyIG0gMzg0IDQyMiBsIFMKNDggMzk2IG0gNTY0IDM5Ni' +
  'BsIFMKNDggMzcwIG0gNDc0IDM3MCBsIFMKNDggMzQ0IG0gMzg0IDM0NCBsIFMKNDggMzE4IG0gNTY0IDMxOCBsIFMKNDggMjkyIG0gNDc0IDI5' +
  'MiBsIFMKNDggMjY2IG0gMzg0IDI2NiBsIFMKMC44NSAwLjg1IDAuODggUkcgNDggMTIwIDIyMCA4MCByZSBTCmVuZHN0cmVhbQplbmRvYmoKNS' +
  'AwIG9iago8PCAvVHlwZSAvRm9udCAvU3VidHlwZSAvVHlwZTEgL0Jhc2VGb250IC9IZWx2ZXRpY2EgPj4KZW5kb2JqCnhyZWYKMCA2CjAwMDAw' +
  'MDAwMDAgNjU1MzUgZiAKMDAwMDAwMDAwOSAwMDAwMCBuIAowMDAwMDAwMDU4IDAwMDAwIG4gCjAwMDAwMDAxMTUgMDAwMDAgbiAKMDAwMDAwMD' +
  'I0MSAwMDAwMCBuIAowMDAwMDAwOTA2IDAwMDAwIG4gCnRyYWlsZXIKPDwgL1NpemUgNiAvUm9vdCAxIDAgUiA+PgpzdGFydHhyZWYKOTc2CiUl' +
  'RU9GCg==';

function base64Size(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}

/** 64 hex digits derived from a text (FNV-1a with eight seeds): looks like a SHA-256, is not one. */
function fakeDigest(text: string): string {
  let out = '';
  for (let seed = 0; seed < 8; seed += 1) {
    let h = (0x811c9dc5 ^ Math.imul(seed + 1, 0x9e3779b1)) >>> 0;
    for (let i = 0; i < text.length; i += 1) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

function isTestEnv(): boolean {
  return typeof navigator !== 'undefined' && /jsdom/i.test(navigator.userAgent);
}
