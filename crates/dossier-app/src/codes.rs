//! The catalogue of every code an error body can carry, top-level or in its reasons. Scripts and
//! the desktop UI switch on these codes, so they are a contract: the UI's `ErrorCode` type is
//! generated from this list, and tests check that the fixtures and docs use no code missing here.

/// Where a code appears in an error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// The body's own `code`.
    Error,
    /// A `reasons[].code`.
    Reason,
    /// Both: a code used as the body's `code` and repeated as its single reason.
    Both,
}

/// One code: its status (for top-level codes), where it appears and what the user can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeDoc {
    pub code: &'static str,
    /// The HTTP-style status of a body with this top-level code; `None` for reason-only codes.
    pub status: Option<u16>,
    pub kind: CodeKind,
    pub meaning: &'static str,
}

const fn e(code: &'static str, status: u16, meaning: &'static str) -> CodeDoc {
    CodeDoc { code, status: Some(status), kind: CodeKind::Error, meaning }
}
const fn b(code: &'static str, status: u16, meaning: &'static str) -> CodeDoc {
    CodeDoc { code, status: Some(status), kind: CodeKind::Both, meaning }
}
const fn r(code: &'static str, meaning: &'static str) -> CodeDoc {
    CodeDoc { code, status: None, kind: CodeKind::Reason, meaning }
}

/// Every code, grouped as in `docs/reason-codes.md`.
pub const CODES: &[CodeDoc] = &[
    // Input (400)
    e("invalid_input", 400, "one or more fields are invalid: the reasons name each field"),
    e("malformed_json", 400, "the input is not JSON"),
    e("usage", 400, "a command-line mistake: see --help"),
    r("unknown_field", "a field the format does not have"),
    r("invalid_type", "a field of the wrong JSON type"),
    r("invalid_field", "a field that cannot be read as its type"),
    r("required", "a required field is missing or blank"),
    r("too_long", "longer than the field allows"),
    r("unknown_value", "not one of the listed values"),
    r("invalid_value", "a value that contradicts another field"),
    r("invalid_email", "not an email address"),
    r("invalid_phone_number", "not a phone number in international form"),
    r("invalid_country", "not an ISO 3166-1 alpha-2 country code"),
    r("invalid_date", "not a date (YYYY-MM-DD)"),
    r("invalid_timestamp", "not an RFC 3339 timestamp"),
    r("invalid_ref_id", "not a reference id"),
    r("invalid_tax_id", "not a tax id of that type"),
    r("invalid_document_number", "not a document number"),
    r("invalid_percentage", "not a percentage between 0 and 100"),
    r("invalid_code", "not a code of the expected form"),
    r("invalid_amount", "not a positive decimal amount"),
    r("invalid_id", "not an id of the expected kind"),
    r("passphrase_too_short", "a new passphrase shorter than 10 characters"),
    r("passphrase_mismatch", "the two typings of a new passphrase differ"),
    r("file_exists", "the file to write exists already"),
    r("invalid_cursor", "not a cursor from a previous page"),
    r("invalid_limit", "a page size out of range"),
    r("input_unreadable", "the input file could not be read"),
    r("invalid_currency", "not an ISO 4217 currency code"),
    r("invalid_duration", "a duration out of range"),
    r("invalid_threshold", "a threshold out of range"),
    r("nothing_to_perform", "a perform-KYC request that asks for nothing"),
    r("invalid_step", "a verification step that does not exist or needs an outcome"),
    r("invalid_answer", "an answer that is not among the question's choices"),
    r("unknown_question", "no open question with that key"),
    r("not_allowed", "a field that does not apply to this kind of customer"),
    r("multiple_primary_addresses", "more than one address marked primary"),
    r("expires_before_issued", "a document's expiry date is before its issue date"),
    r("conflicting_fields", "two fields that cannot be given together"),
    r("ownership_exceeds_100", "members' ownership percentages add up to more than 100"),
    r("invalid_metadata_key", "a metadata key must be 1-64 characters"),
    r("too_many_metadata_keys", "at most 50 metadata keys"),
    r("unsupported_file_type", "a scan must be a PNG, JPEG, GIF, WebP or PDF file"),
    r("file_too_large", "a scan is larger than the limit"),
    r("file_unreadable", "the file could not be read: check that it exists and is readable"),
    r("malformed_row", "a CSV row that cannot be read: wrong number of cells, bad quoting or not UTF-8"),
    r("duplicate_column", "a CSV header that names a column twice"),
    r("output_unwritable", "the --out file could not be created"),
    r("invalid_user_name", "a user name: 1-64 letters, digits and . _ - @, starting with a letter or digit"),
    r("password_too_short", "a password shorter than the minimum"),
    r("password_mismatch", "the password typed twice differs"),
    // Signing in (401)
    b("sign_in_required", 401, "say who you are: --user or DOSSIER_USER, and the password"),
    b("sign_in_failed", 401, "the user name or password is wrong, or the user is disabled"),
    // Domain rules (403)
    b("role_required", 403, "the user's roles do not allow this: the message names the roles that do"),
    b("cannot_disable_self", 403, "an admin cannot disable their own account"),
    b("four_eyes_same_user", 403, "a second person must decide a four-eyes request: not its maker"),
    b("not_the_maker", 403, "only the maker of a request can withdraw it"),
    e("domain_rule_violation", 403, "a gate refused the action: the reasons list every rule not met"),
    r("primary_address_missing", "no primary physical address"),
    r("identity_document_missing", "no valid identity document"),
    r("email_unverified", "no verified email"),
    r("mobile_unverified", "no verified mobile number"),
    r("full_kyc_requires_tax_id_or_physical_id", "full verification needs a tax id or a physical ID"),
    r("control_frozen", "a frozen control is in place"),
    r("control_denied", "a denied control is in place"),
    r("control_closed", "a closed control is in place"),
    b("customer_not_verified", 403, "verify the customer first"),
    b("customer_already_active", 403, "the customer is already active"),
    b("customer_already_verified", 403, "already verified: only an upgrade from partial to full is possible"),
    b("invalid_transition", 403, "the customer's state does not allow this action"),
    b("invalid_verification_transition", 403, "the verification's state does not allow this step"),
    b("edd_evidence_missing", 403, "an EDD case passes only with evidence for every checklist item"),
    b("not_an_edd_case", 422, "the action applies to EDD cases only"),
    b("case_closed", 403, "the case is completed or expired"),
    b("not_a_business", 422, "members belong to businesses only"),
    b("member_not_a_person", 422, "a member must be an individual customer"),
    b("contact_already_verified", 409, "the contact is already verified"),
    b("not_needing_attention", 403, "only messages that need attention can be retried"),
    b("not_discardable", 403, "only messages that need attention can be discarded"),
    b("sync_running", 409, "another sync run holds the data directory"),
    b("no_providers", 422, "no provider is configured and enabled"),
    // Not found (404)
    b("customer_not_found", 404, "no customer with that id"),
    b("verification_not_found", 404, "no verification with that id"),
    b("contact_not_found", 404, "no contact with that id"),
    b("control_not_found", 404, "no control with that id"),
    b("provider_not_found", 404, "no provider with that name"),
    b("outbox_message_not_found", 404, "no outbox message with that id"),
    b("file_not_found", 404, "no stored scan with that reference"),
    // Unlocking (401)
    e("wrong_passphrase", 401, "the passphrase does not open this data directory"),
    e("passphrase_required", 401, "the data directory is encrypted: give its passphrase"),
    e("locked", 401, "the desktop app is locked: unlock it to go on"),
    b("document_not_found", 404, "no identity document with that id on this customer"),
    b("tax_detail_not_found", 404, "no tax detail with that id on this customer"),
    b("user_not_found", 404, "no user with that name"),
    b("approval_not_found", 404, "no approval request with that id"),
    // Conflicts (409)
    e("not_encrypted", 409, "the data directory is from before encryption: dossier init encrypts it"),
    e("data_dir_in_use", 409, "the data directory is open in the desktop app: lock or close it first"),
    e("conflict", 409, "the change conflicts with existing data: reload and retry"),
    e("database_too_new", 409, "the database was written by a newer Dossier"),
    b("data_exists", 409, "an identity verification is already in progress"),
    b("ref_id_exists", 409, "another customer has that reference id"),
    b("contact_exists", 409, "the customer already has that contact"),
    b("control_exists", 409, "a control of that type is already in place"),
    b("data_dir_not_empty", 409, "the data directory already has customers"),
    b(
        "not_initialised",
        409,
        "the data directory is not set up (no key, or no users yet): run dossier init --admin NAME",
    ),
    b("already_initialised", 409, "the data directory is set up already (it has a key and users)"),
    b("user_exists", 409, "a user with that name exists (letter case aside)"),
    b("user_unchanged", 409, "the user is already as asked"),
    b("last_admin", 409, "the change would leave no active admin"),
    b("approval_pending", 409, "a request of that kind about that entity already waits for approval"),
    b("approval_not_pending", 409, "the request is already approved, rejected or withdrawn"),
    b("audit_chain_broken", 409, "an audit event no longer matches the hash chain: the trail was changed"),
    e(
        "audit_export_invalid",
        409,
        "a signed audit export was changed after it was signed: the reason names the first line at fault",
    ),
    r("event_hash_mismatch", "an event line of an audit export does not match its own hash"),
    r(
        "chain_link_broken",
        "an event of an audit export does not follow the one before it: out of order, missing, or not linked",
    ),
    r("entity_mismatch", "an event of an audit export for one entity is about another"),
    r("event_count_mismatch", "an audit export holds other events than its signature line counts"),
    r("digest_mismatch", "the bytes before an audit export's signature line do not match its SHA-256"),
    r("signature_mismatch", "an audit export's signature does not verify with the public key it names"),
    // Unprocessable (422)
    b("unverified_customer", 422, "the customer has not been verified"),
    e("invalid_answers", 422, "the answers do not match the open questions"),
    e("no_open_questions", 422, "there are no open out-of-wallet questions"),
    b("contact_missing", 422, "no contact of that kind to verify"),
    b("contact_ambiguous", 422, "several unverified contacts of that kind: name one by id"),
    b("backup_invalid", 422, "the file is not a usable Dossier backup: damaged, changed, or not a backup"),
    b("reveal_ambiguous", 422, "the customer has several numbers of that kind: name one by id"),
    e(
        "audit_export_malformed",
        422,
        "the file is not an intact signed audit export: the reason names the first line at fault",
    ),
    r("line_malformed", "a line of an audit export that cannot be read as one (a CSV export fails at line 1)"),
    r("signature_missing", "an audit export that ends before its signature line: truncated at the end of a line"),
    // Unexpected (500)
    e("internal_error", 500, "something broke: the message says what"),
    e("storage_error", 500, "the database could not be read or written"),
    e("database_corrupt", 500, "the database file is damaged: restore a backup"),
    e("database_unavailable", 500, "the database could not be opened"),
    e("data_dir_unavailable", 500, "the data directory could not be created or opened"),
    e("key_file_unreadable", 500, "the data directory's key file is missing or damaged: restore a backup"),
    e("encryption_failed", 500, "data could not be encrypted"),
    e("randomness_unavailable", 500, "the system's random number generator failed"),
    e("keyring_unavailable", 500, "no OS keyring answers on this computer: use the passphrase"),
    e("backup_failed", 500, "a backup or restore could not read or write its files"),
    e("credentials_unavailable", 500, "provider credentials could not be read or stored"),
    e("sync_failed", 500, "the sync run stopped: the message says why"),
    e("sync_unavailable", 500, "the sync worker could not start"),
    e("export_failed", 500, "the export could not be written: the message says why"),
    e("bench_failed", 500, "`dev bench` could not finish a workload: the message says which"),
    r("invalid_faults", "simulator faults out of range"),
    r("invalid_count", "a count out of range"),
];

/// The entry for a code.
pub fn code_doc(code: &str) -> Option<&'static CodeDoc> {
    CODES.iter().find(|c| c.code == code)
}

/// The catalogue as a TypeScript module: an `ErrorCode` union and a `ERROR_CODES` table.
pub fn typescript() -> String {
    let mut out = String::from(
        "// Generated from crates/dossier-app/src/codes.rs by `cargo test`. Do not edit this file manually.\n\n",
    );
    out.push_str("/** Every code an error body can carry, top-level or in its reasons. */\nexport type ErrorCode =\n");
    for c in CODES {
        out.push_str(&format!("  | '{}'\n", c.code));
    }
    out.push_str(";\n\n");
    out.push_str("export interface ErrorCodeDoc {\n  status: number | null;\n  kind: 'error' | 'reason' | 'both';\n  meaning: string;\n}\n\n");
    out.push_str("export const ERROR_CODES: Record<ErrorCode, ErrorCodeDoc> = {\n");
    for c in CODES {
        let status = c.status.map_or_else(|| "null".to_owned(), |s| s.to_string());
        let kind = match c.kind {
            CodeKind::Error => "error",
            CodeKind::Reason => "reason",
            CodeKind::Both => "both",
        };
        let meaning = serde_json::to_string(c.meaning).expect("a string serialises");
        out.push_str(&format!("  {}: {{ status: {status}, kind: '{kind}', meaning: {meaning} }},\n", c.code));
    }
    out.push_str("};\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "{} listed twice", c.code);
            assert!(c.code.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_' || ch.is_ascii_digit()), "{}", c.code);
            assert!(!c.meaning.is_empty());
            assert_eq!(c.status.is_none(), c.kind == CodeKind::Reason, "{}", c.code);
        }
    }

    /// Writes `ui/src/bindings/ErrorCode.ts` next to the ts-rs bindings; `make test` fails when
    /// the committed file differs.
    #[test]
    fn export_typescript_error_codes() {
        let dir = std::env::var("TS_RS_EXPORT_DIR").expect("set in .cargo/config.toml");
        std::fs::write(std::path::Path::new(&dir).join("ErrorCode.ts"), typescript()).expect("bindings written");
    }
}
