// The domain's public vocabulary, as documented in docs/cli.md, docs/reason-codes.md and
// docs/state-machines.md. Values are the wire words; labels are what people read. Error and
// reason codes are the generated catalogue's (`bindings/ErrorCode.ts`): the UI words some of
// them itself and falls back to the catalogue's meaning for the rest.
import type { ErrorCode } from '../bindings/ErrorCode';
import { ERROR_CODES } from '../bindings/ErrorCode';

/** The verify gate's rules, in the gate's order of precedence (docs/reason-codes.md). */
export interface GateRule {
  code: ErrorCode;
  label: string;
  /** What a tick says when the rule is met. */
  okLabel: string;
  levels: Array<'partial' | 'full'>;
}

export const VERIFY_RULES: GateRule[] = [
  {
    code: 'primary_address_missing',
    label: 'No primary address',
    okLabel: 'Primary address',
    levels: ['partial', 'full'],
  },
  {
    code: 'identity_document_missing',
    label: 'No valid identity document',
    okLabel: 'Valid identity document',
    levels: ['partial', 'full'],
  },
  {
    code: 'email_unverified',
    label: 'Email not verified yet',
    okLabel: 'Email verified',
    levels: ['partial', 'full'],
  },
  {
    code: 'mobile_unverified',
    label: 'Mobile number not verified yet',
    okLabel: 'Mobile number verified',
    levels: ['partial', 'full'],
  },
  {
    code: 'full_kyc_requires_tax_id_or_physical_id',
    label: 'Full verification needs a tax id or a physical ID',
    okLabel: 'Tax id or physical ID',
    levels: ['full'],
  },
];

export const ACTIVATE_ONLY_RULES: GateRule[] = [
  { code: 'control_frozen', label: 'Customer is frozen', okLabel: 'Not frozen', levels: [] },
  { code: 'control_denied', label: 'Customer is denied', okLabel: 'Not denied', levels: [] },
  { code: 'control_closed', label: 'Customer has a closed control', okLabel: 'No closed control', levels: [] },
];

export function rulesFor(level: 'partial' | 'full'): GateRule[] {
  return VERIFY_RULES.filter((r) => r.levels.includes(level));
}

/**
 * The UI's own words for codes a clerk meets often, where the catalogue's meaning reads like a
 * developer's note. Keyed by the generated union: a code renamed or dropped on the Rust side is
 * a compile error here. Codes not listed fall back to `ERROR_CODES[code].meaning`.
 */
export const CODE_WORDS: Partial<Record<ErrorCode, string>> = {
  ...Object.fromEntries([...VERIFY_RULES, ...ACTIVATE_ONLY_RULES].map((r) => [r.code, r.label])),
  invalid_input: 'Some details need fixing',
  domain_rule_violation: 'Refused: not every rule is met',
  required: 'Required',
  too_long: 'Too long',
  unknown_value: 'Not one of the allowed values',
  ref_id_exists: 'Another customer already has this reference id',
  contact_exists: 'The customer already has this contact',
  customer_not_found: 'Customer not found',
  verification_not_found: 'Case not found',
  outbox_message_not_found: 'Sync message not found',
  edd_evidence_missing: 'Evidence is missing for a checklist item',
  unverified_customer: 'Verify the customer first',
  data_exists: 'A case of this kind is already open',
  sync_running: 'A sync is already running',
  no_providers: 'No provider is set up: add one in Settings',
  unsupported_file_type: 'Not a scan Dossier keeps: use a PNG, JPEG, GIF, WebP or PDF file',
  file_too_large: 'The scan is larger than 25 MB',
  file_unreadable: 'The file could not be read',
  file_not_found: 'The scan is not stored here: attach the file again',
  internal_error: 'Something went wrong on this computer',
  storage_error: 'The database could not be read or written',
};

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/**
 * Human words for an error or reason code: the UI's wording, else the catalogue's meaning
 * (first letter raised); undefined for a code neither knows (a newer backend), which callers
 * still show as the message with its code.
 */
export function codeWords(code: string): string | undefined {
  if (!isErrorCode(code)) return undefined;
  const words = CODE_WORDS[code] ?? ERROR_CODES[code].meaning;
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const CUSTOMER_TYPES = ['individual', 'business'] as const;
export const CUSTOMER_STATES = ['pending', 'verified', 'active', 'rejected', 'withdrawn', 'closed'] as const;
export const ADDRESS_KINDS = ['residential', 'business', 'registered', 'mailing'] as const;
export const PHYSICAL_ADDRESS_KINDS = ['residential', 'business', 'registered'];
export const CONTACT_KINDS = ['email', 'mobile'] as const;
export const CONTACT_METHODS: Array<{ value: string; label: string }> = [
  { value: 'code', label: 'Code sent and entered' },
  { value: 'in_person', label: 'In person' },
  { value: 'document', label: 'Document' },
];
export const DOCUMENT_TYPES = [
  'passport',
  'passport_card',
  'drivers_license',
  'national_identity_card',
  'residence_card',
  'ssn_card',
  'birth_certificate',
  'certificate_of_incorporation',
  'business_registration',
  'other',
] as const;
export const PHYSICAL_ID_TYPES = [
  'passport',
  'passport_card',
  'drivers_license',
  'national_identity_card',
  'residence_card',
];
export const DOCUMENT_STATUSES = ['active', 'inactive'] as const;
export const FILE_ROLES = ['front', 'back', 'face', 'other'] as const;
export const TAX_ID_TYPES = ['SSN', 'ITIN', 'EIN', 'OTHER'] as const;
export const ACTIVITY_LEVELS = ['LOW', 'MEDIUM', 'HIGH'] as const;
export const MEMBER_ROLES = [
  'BENEFICIAL_OWNER',
  'ACCOUNT_OPENER',
  'AUTHORIZED_USER',
  'MANAGEMENT_CONTROL_PERSON',
  'TRUSTEE',
  'GRANTOR',
  'BENEFICIARY',
] as const;

export const RISK_RATINGS = ['LOW', 'MEDIUM', 'HIGH', 'PROHIBITED'] as const;
export const IDENTITY_STATUSES = ['PENDING', 'ERROR', 'APPROVED', 'DENIED', 'DISABLED'] as const;
export const EDD_STATUSES = ['none', 'in_progress', 'passed', 'failed'] as const;
export const QUEUE_SORTS = ['newest', 'oldest', 'refresh_due'] as const;

export const VERIFICATION_TYPES = ['kyc', 'bank_account', 'counterparty'] as const;
export const VERIFICATION_STATES = ['storing', 'waiting', 'pending', 'reviewing', 'completed', 'expired'] as const;
export const OPEN_VERIFICATION_STATES = ['storing', 'waiting', 'pending', 'reviewing'];
export const OUTCOMES = ['passed', 'failed'] as const;
export const EDD_METHOD = 'enhanced_due_diligence';

/** Cybrid's 15 verification methods. */
export const VERIFICATION_METHODS = [
  'attested',
  'document_submission',
  'enhanced_due_diligence',
  'id_and_selfie',
  'tax_id_and_selfie',
  'business_registration',
  'attested_id_and_selfie',
  'attested_business_registration',
  'attested_business_associate',
  'attested_id_and_database',
  'attested_database',
  'database',
  'watchlists',
  'attested_ownership',
  'account_ownership',
] as const;

export const NON_INTERACTIVE_METHODS = [
  'attested',
  'attested_id_and_selfie',
  'attested_business_registration',
  'attested_business_associate',
  'attested_id_and_database',
  'attested_database',
  'attested_ownership',
  'database',
  'watchlists',
];

/** Cybrid's 43 failure codes. */
export const FAILURE_CODES = [
  'id_check_failure',
  'id_quality_check_failure',
  'id_barcode_check_failure',
  'id_mrz_check_failure',
  'id_presence_check_failure',
  'id_expiration_check_failure',
  'id_double_side_check_failure',
  'id_type_allowed_check_failure',
  'id_country_allowed_check_failure',
  'id_digital_replica_check_failure',
  'id_paper_replica_check_failure',
  'database_check_failure',
  'selfie_failure',
  'selfie_pose_check_failure',
  'selfie_quality_check_failure',
  'country_comparison_check_failure',
  'duplicate_person_check_failure',
  'prohibited_person_check_failure',
  'name_check_failure',
  'address_check_failure',
  'account_number_check_failure',
  'dob_check_failure',
  'id_number_check_failure',
  'phone_number_check_failure',
  'email_address_check_failure',
  'document_type_check_failure',
  'document_quality_check_failure',
  'document_check_failure',
  'name_comparison_check_failure',
  'compliance_rejection',
  'review_required',
  'user_canceled',
  'plaid_failure',
  'plaid_item_login_required',
  'plaid_invalid_product',
  'plaid_no_accounts',
  'plaid_item_not_found',
  'decision_timeout',
  'requested_failure',
  'deleted_account',
  'pep_check_failure',
  'media_check_failure',
  'watchlist_check_failure',
] as const;

export const COMPLIANCE_CHECK_OUTCOMES = ['passed', 'failed', 'insufficient', 'inconclusive'] as const;

export const PROVIDER_NAMES = ['cybrid', 'paxos', 'qolo', 'mbanq'] as const;
export const OUTBOX_STATUSES = ['pending', 'in_flight', 'done', 'needs_attention', 'discarded'] as const;

export const POLICY_KYC_PASSED = ['record_only', 'verify_partial', 'verify_full'] as const;
export const LIMIT_INTERVALS = ['daily', 'weekly', 'monthly', 'lifetime'] as const;
export const LIMIT_TIERS = ['partial', 'full', 'edd'] as const;
export const CASE_TYPES = ['edd', 'kyc', 'bank_account', 'counterparty'] as const;

export const IDENTITY_DETAIL_LABELS: Record<string, string> = {
  pending_verifications: 'Verification pending',
  pending_edd: 'Enhanced due diligence pending',
  pending_member_approvals: 'Member approvals pending',
  failed_verifications: 'A verification failed',
  prohibited_risk_rating: 'Prohibited risk rating',
  failed_controls: 'A control is in force',
  failed_members: 'A member failed',
};

/** `snake_case_word` → `Snake case word`, for values that have no dedicated label. */
const ACRONYMS = new Set(['kyc', 'edd', 'id', 'ssn', 'itin', 'ein', 'sla', 'pep', 'url', 'pdf', 'llc', 'usd']);

export function humanize(word: string | null | undefined): string {
  if (!word) return '';
  const spaced = word
    .replace(/_/g, ' ')
    .toLowerCase()
    .split(' ')
    .map((w) => (ACRONYMS.has(w) ? w.toUpperCase() : w))
    .join(' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
