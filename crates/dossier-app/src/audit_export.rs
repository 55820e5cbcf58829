//! Signed audit exports: the device key, the signed JSON-lines export of the audit trail, and
//! the offline check of such a file (`dossier audit verify --export FILE`), which needs no data
//! directory.
//!
//! The format (`dossier-audit-export/1`, described for auditors in docs/audit-export.md):
//! one line per event, `{seq, id, at, actor, action, entity_type, entity_id, reason, summary,
//! prev_hash, hash}` with the texts exactly as the hash chain covers them, so every line's hash
//! can be recomputed and every link between consecutive events checked; then one last line
//! `{"signature": {format, algorithm, public_key, key_fingerprint, events, first_seq, last_seq,
//! entity_id, exported_at, sha256, value}}`, where `sha256` covers every byte before that line
//! and `value` is the ed25519 signature of [`SignatureBlock::message`]. The digest is computed as the
//! bytes are written, and checked as they are read, so both directions stay in constant memory.

use std::io::{BufRead, BufWriter, Read, Write};

use dossier_core::{Actor, AuditEvent, AuditEventId, EntityKind};
use dossier_store::{AuditRecord, DeviceKeyRow, GENESIS, Tx, chain_hash};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use ts_rs::TS;
use uuid::Uuid;

use crate::dto::ExportSummary;
use crate::error::{Error, Problem, Reason, Result};
use crate::{Dossier, Env, convert};

/// The name and version of the signed format.
pub const FORMAT: &str = "dossier-audit-export/1";
/// The only signature algorithm.
pub const ALGORITHM: &str = "ed25519";
/// The keys of an event line of a signed export: the CSV columns and the two hashes.
pub const SIGNED_AUDIT_COLUMNS: &[&str] =
    &["seq", "id", "at", "actor", "action", "entity_type", "entity_id", "reason", "summary", "prev_hash", "hash"];

/// Rows read per page.
const PAGE: usize = 500;
/// No line of an export is anywhere near this long (a reason is at most 1,000 characters); a
/// longer one is refused rather than read into memory.
const MAX_LINE_BYTES: u64 = 1 << 20;

/// The fingerprint people compare: the first 16 bytes of SHA-256 over the 32-byte public key, in
/// hex.
pub fn key_fingerprint(public_key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(public_key)[..16])
}

/// The device key of a data directory.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeviceKeyView {
    /// `ed25519`.
    pub algorithm: &'static str,
    /// The 32-byte public key, hex.
    pub public_key: String,
    /// See [`key_fingerprint`]: what an auditor compares with a file's `key_fingerprint`.
    pub fingerprint: String,
    pub created_at: String,
}

/// The signing key, held only while an export is signed. `Debug` shows the fingerprint only.
pub(crate) struct DeviceKey {
    signing: SigningKey,
    created_at: OffsetDateTime,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("fingerprint", &key_fingerprint(&self.public_key()))
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl DeviceKey {
    fn from_row(row: &DeviceKeyRow) -> Self {
        Self { signing: SigningKey::from_bytes(&row.secret_key), created_at: row.created_at }
    }

    fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    fn view(&self) -> DeviceKeyView {
        key_view(&self.public_key(), self.created_at)
    }
}

fn key_view(public_key: &[u8; 32], created_at: OffsetDateTime) -> DeviceKeyView {
    DeviceKeyView {
        algorithm: ALGORITHM,
        public_key: hex::encode(public_key),
        fingerprint: key_fingerprint(public_key),
        created_at: convert::timestamp(created_at),
    }
}

impl Env {
    /// The device key, made the first time one is needed from the operating system's random
    /// source, with an audit event naming its fingerprint in the same transaction (so a key
    /// swapped in later does not match the trail).
    pub(crate) fn device_key(&self, tx: &Tx<'_>, actor: &Actor) -> Result<DeviceKey> {
        if let Some(row) = tx.device_key()? {
            return Ok(DeviceKey::from_row(&row));
        }
        let mut secret = [0u8; 32];
        rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut secret).map_err(|_| {
            Error::Unexpected(Problem::new(
                "internal_error",
                "the operating system gave no random bytes for the device key: try again",
            ))
        })?;
        let signing = SigningKey::from_bytes(&secret);
        let row = DeviceKeyRow {
            secret_key: secret,
            public_key: signing.verifying_key().to_bytes(),
            created_at: self.clock.now(),
        };
        tx.insert_device_key(&row)?;
        tx.append_audit(&AuditEvent {
            id: AuditEventId::from_uuid(self.ids.next_id()),
            at: row.created_at,
            actor: actor.name().clone(),
            action: "device.key_created",
            entity_kind: EntityKind::Device,
            entity_id: Uuid::nil(),
            reason: None,
            summary: serde_json::json!({"algorithm": ALGORITHM, "fingerprint": key_fingerprint(&row.public_key)})
                .to_string(),
        })?;
        Ok(DeviceKey::from_row(&row))
    }
}

/// The signature line's content: every field is covered by the signature in `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureBlock {
    format: String,
    algorithm: String,
    /// Hex.
    public_key: String,
    key_fingerprint: String,
    events: u64,
    first_seq: Option<i64>,
    last_seq: Option<i64>,
    /// The `--entity` filter, or null for the whole trail.
    entity_id: Option<String>,
    exported_at: String,
    /// SHA-256 over every byte before the signature line, hex.
    sha256: String,
    /// The ed25519 signature of [`SignatureBlock::message`], hex.
    value: String,
}

impl SignatureBlock {
    /// The signed bytes: one `name:value` line per field but `value`, in this order, joined by
    /// `\n` (absent values are empty).
    fn message(&self) -> Vec<u8> {
        let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        [
            format!("format:{}", self.format),
            format!("algorithm:{}", self.algorithm),
            format!("public_key:{}", self.public_key),
            format!("key_fingerprint:{}", self.key_fingerprint),
            format!("events:{}", self.events),
            format!("first_seq:{}", opt(self.first_seq)),
            format!("last_seq:{}", opt(self.last_seq)),
            format!("entity_id:{}", self.entity_id.as_deref().unwrap_or("")),
            format!("exported_at:{}", self.exported_at),
            format!("sha256:{}", self.sha256),
        ]
        .join("\n")
        .into_bytes()
    }
}

#[derive(Serialize)]
struct SignatureLine<'a> {
    signature: &'a SignatureBlock,
}

/// A summary as written: the stored JSON text itself, so its hash can be recomputed; a stored
/// text that is not one line of JSON (only a database edited by hand holds one) is written as a
/// string, and its line then fails the check, as it should.
#[derive(Serialize)]
#[serde(untagged)]
enum SummaryOut<'a> {
    Raw(&'a RawValue),
    Text(&'a str),
}

fn summary_out(stored: &str) -> SummaryOut<'_> {
    match serde_json::from_str::<&RawValue>(stored) {
        Ok(raw) if raw.get() == stored && !stored.contains(['\n', '\r']) => SummaryOut::Raw(raw),
        _ => SummaryOut::Text(stored),
    }
}

#[derive(Serialize)]
struct EventOut<'a> {
    seq: i64,
    id: String,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    entity_type: &'a str,
    entity_id: String,
    reason: Option<&'a str>,
    summary: SummaryOut<'a>,
    prev_hash: String,
    hash: String,
}

impl<'a> EventOut<'a> {
    fn of(r: &'a AuditRecord) -> Self {
        EventOut {
            seq: r.seq,
            id: Uuid::from_bytes(r.id).hyphenated().to_string(),
            at: &r.at,
            actor: &r.actor,
            action: &r.action,
            entity_type: &r.entity_kind,
            entity_id: Uuid::from_bytes(r.entity_id).hyphenated().to_string(),
            reason: r.reason.as_deref(),
            summary: summary_out(&r.summary),
            prev_hash: hex::encode(r.prev_hash),
            hash: hex::encode(r.hash),
        }
    }
}

/// Passes bytes through to `inner` and hashes exactly the bytes it accepted.
struct Digesting<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn write_failed(e: &std::io::Error) -> Error {
    Error::Unexpected(Problem::new("export_failed", format!("could not write the export: {}", e.kind())))
}

impl Dossier {
    /// The device key of this data directory, made (and its making audited) if there is none
    /// yet: `dossier audit key`.
    pub fn device_key(&mut self, actor: &Actor) -> Result<DeviceKeyView> {
        actor.require(dossier_core::Permission::Read)?;
        self.write(|env, tx| Ok(env.device_key(tx, actor)?.view()))
    }

    /// The device key if one was made; never makes one. For telling whether a file was signed
    /// here.
    pub fn existing_device_key(&self) -> Result<Option<DeviceKeyView>> {
        self.read(|_, tx| Ok(tx.device_key()?.map(|row| key_view(&row.public_key, row.created_at))))
    }

    /// Writes the signed JSON-lines export of the audit trail (optionally about one entity):
    /// the events in order, then the signature line. Unsealed events are sealed and the device
    /// key made first, in a write transaction of their own; the events are then read from one
    /// snapshot, page by page.
    pub(crate) fn export_audit_signed(
        &mut self,
        actor: &Actor,
        entity: Option<Uuid>,
        out: &mut dyn Write,
    ) -> Result<ExportSummary> {
        let key = self.write(|env, tx| {
            tx.seal_audit_chain()?;
            env.device_key(tx, actor)
        })?;
        let exported_at = convert::timestamp(self.env.clock.now());
        self.read(|_, tx| {
            let mut w = BufWriter::new(Digesting { inner: &mut *out, hasher: Sha256::new() });
            let (mut events, mut first_seq, mut last_seq) = (0u64, None, None);
            let mut after = None;
            loop {
                let page = tx.audit_records(entity, after, PAGE)?;
                for r in &page {
                    serde_json::to_writer(&mut w, &EventOut::of(r)).map_err(|e| write_failed(&e.into()))?;
                    w.write_all(b"\n").map_err(|e| write_failed(&e))?;
                    events += 1;
                    first_seq.get_or_insert(r.seq);
                    last_seq = Some(r.seq);
                }
                match page.last() {
                    Some(r) if page.len() == PAGE => after = Some(r.seq),
                    _ => break,
                }
            }
            let digesting = w.into_inner().map_err(|e| write_failed(e.error()))?;
            let digest = digesting.hasher.finalize();
            let public_key = key.public_key();
            let mut block = SignatureBlock {
                format: FORMAT.to_owned(),
                algorithm: ALGORITHM.to_owned(),
                public_key: hex::encode(public_key),
                key_fingerprint: key_fingerprint(&public_key),
                events,
                first_seq,
                last_seq,
                entity_id: entity.map(|e| e.hyphenated().to_string()),
                exported_at: exported_at.clone(),
                sha256: hex::encode(digest),
                value: String::new(),
            };
            block.value = hex::encode(key.signing.sign(&block.message()).to_bytes());
            let mut line = serde_json::to_vec(&SignatureLine { signature: &block }).expect("a signature serialises");
            line.push(b'\n');
            out.write_all(&line).and_then(|_| out.flush()).map_err(|e| write_failed(&e))?;
            Ok(ExportSummary {
                format: "jsonl",
                rows: events,
                device_key_fingerprint: Some(key_fingerprint(&public_key)),
            })
        })
    }
}

/// A signed audit export that checked out.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AuditExportCheck {
    /// The signature, the digest, every event's hash and every link hold.
    pub valid: bool,
    pub events: u64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// The last event's hash (hex): compare it with `audit verify`'s `head` on the device.
    pub last_hash: Option<String>,
    /// The export's `--entity` filter, or null for the whole trail.
    pub entity_id: Option<String>,
    pub exported_at: String,
    /// The public key that signed the file (hex) and its fingerprint.
    pub public_key: String,
    pub device_key_fingerprint: String,
    /// Whether this data directory's device key signed it; null when the check ran with no
    /// data directory (or one that has no device key yet).
    pub signed_by_this_device: Option<bool>,
}

/// Where a line sits, for error messages: `line N`, never its content.
fn at_line(n: u64) -> String {
    format!("line:{n}")
}

fn malformed(line: u64, code: &str, what: &str) -> Error {
    let message = format!("line {line} {what}: this is not an intact signed audit export");
    Error::Unprocessable(Problem::new("audit_export_malformed", message.clone()).with_reasons(vec![Reason::field(
        at_line(line),
        code,
        message,
    )]))
}

fn invalid(line: u64, code: &str, what: String) -> Error {
    let message = format!("line {line}: {what}");
    Error::Conflict(Problem::new("audit_export_invalid", message.clone()).with_reasons(vec![Reason::field(
        at_line(line),
        code,
        message,
    )]))
}

/// An event line as read; every field must be there (`reason` may be null).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineIn<'a> {
    seq: Option<i64>,
    id: Option<String>,
    at: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default, borrow, deserialize_with = "raw_some")]
    summary: Option<&'a RawValue>,
    prev_hash: Option<String>,
    hash: Option<String>,
    signature: Option<SignatureBlock>,
}

/// Keeps a `null` summary as the raw text `null` rather than as an absent field.
fn raw_some<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

struct EventIn {
    seq: i64,
    entity_id: [u8; 16],
    prev_hash: [u8; 32],
    hash: [u8; 32],
}

fn bytes<const N: usize>(hex_text: &str) -> Option<[u8; N]> {
    hex::decode(hex_text).ok()?.try_into().ok()
}

fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    Uuid::try_parse(text).ok().map(|u| u.into_bytes())
}

/// Checks one event line's fields and recomputes its hash.
fn check_event(line: u64, e: LineIn<'_>) -> Result<EventIn> {
    let bad = || malformed(line, "line_malformed", "is missing a field or has one that cannot be read");
    let (Some(seq), Some(id), Some(at), Some(actor), Some(action), Some(kind), Some(entity), Some(summary)) =
        (e.seq, e.id, e.at, e.actor, e.action, e.entity_type, e.entity_id, e.summary)
    else {
        return Err(bad());
    };
    let id = uuid_bytes(&id).ok_or_else(bad)?;
    let entity_id = uuid_bytes(&entity).ok_or_else(bad)?;
    let prev_hash = e.prev_hash.as_deref().and_then(bytes::<32>).ok_or_else(bad)?;
    let hash = e.hash.as_deref().and_then(bytes::<32>).ok_or_else(bad)?;
    let recomputed =
        chain_hash(&prev_hash, seq, &id, &at, &actor, &action, &kind, &entity_id, e.reason.as_deref(), summary.get());
    if recomputed != hash {
        return Err(invalid(
            line,
            "event_hash_mismatch",
            format!("event {seq} does not match its hash: the event was changed after it was written"),
        ));
    }
    Ok(EventIn { seq, entity_id, prev_hash, hash })
}

/// What the lines before the signature showed.
#[derive(Default)]
struct Walk {
    events: u64,
    first_seq: Option<i64>,
    last: Option<(i64, [u8; 32])>,
    /// The first event that does not follow the one before it by seq (line, seq, previous seq):
    /// expected in an export for one entity, a missing event in an export of the whole trail.
    first_gap: Option<(u64, i64, i64)>,
    /// The first event's entity, and the first line about another one.
    first_entity: Option<[u8; 16]>,
    other_entity_line: Option<u64>,
}

impl Walk {
    fn event(&mut self, line: u64, e: EventIn) -> Result<()> {
        match self.last {
            Some((last_seq, _)) if e.seq <= last_seq => {
                return Err(invalid(
                    line,
                    "chain_link_broken",
                    format!("event {} comes after event {last_seq}: the events are out of order", e.seq),
                ));
            }
            Some((last_seq, last_hash)) if e.seq == last_seq + 1 => {
                if e.prev_hash != last_hash {
                    return Err(invalid(
                        line,
                        "chain_link_broken",
                        format!("event {} does not link to event {last_seq} before it", e.seq),
                    ));
                }
            }
            Some((last_seq, _)) => {
                self.first_gap.get_or_insert((line, e.seq, last_seq));
            }
            None if e.seq == 1 => {
                if e.prev_hash != GENESIS {
                    return Err(invalid(line, "chain_link_broken", "event 1 does not start the chain".to_owned()));
                }
            }
            None => {
                self.first_gap.get_or_insert((line, e.seq, 0));
            }
        }
        match self.first_entity {
            None => self.first_entity = Some(e.entity_id),
            Some(first) if first != e.entity_id => {
                self.other_entity_line.get_or_insert(line);
            }
            Some(_) => {}
        }
        self.events += 1;
        self.first_seq.get_or_insert(e.seq);
        self.last = Some((e.seq, e.hash));
        Ok(())
    }

    /// The checks that need the signature line: the filter, the counts, the digest and the
    /// signature itself, in the order of the lines they concern.
    fn finish(
        self,
        line: u64,
        block: SignatureBlock,
        digest: [u8; 32],
        this_device: Option<&[u8; 32]>,
    ) -> Result<AuditExportCheck> {
        let m = &block;
        if m.format != FORMAT || m.algorithm != ALGORITHM {
            return Err(malformed(line, "line_malformed", "names a format or an algorithm this build does not know"));
        }
        let bad = || malformed(line, "line_malformed", "has a key, digest or signature that cannot be read");
        let public_key = bytes::<32>(&m.public_key).ok_or_else(bad)?;
        let verifying = VerifyingKey::from_bytes(&public_key).map_err(|_| bad())?;
        let signature = Signature::from_bytes(&bytes::<64>(&block.value).ok_or_else(bad)?);
        let entity = match &m.entity_id {
            None => None,
            Some(text) => Some(uuid_bytes(text).ok_or_else(bad)?),
        };
        match entity {
            None => {
                if let Some((gap_line, seq, prev)) = self.first_gap {
                    let what = if prev == 0 {
                        format!("the export of the whole trail starts at event {seq}: the events before it are missing")
                    } else {
                        format!("event {seq} follows event {prev}: the events between them are missing")
                    };
                    return Err(invalid(gap_line, "chain_link_broken", what));
                }
            }
            Some(entity) => {
                let other = match self.first_entity {
                    Some(first) if first != entity => Some(1),
                    _ => self.other_entity_line,
                };
                if let Some(other) = other {
                    return Err(invalid(
                        other,
                        "entity_mismatch",
                        "the event is about another entity than the export".to_owned(),
                    ));
                }
            }
        }
        let last_seq = self.last.map(|(seq, _)| seq);
        if (self.events, self.first_seq, last_seq) != (m.events, m.first_seq, m.last_seq) {
            return Err(invalid(
                line,
                "event_count_mismatch",
                format!(
                    "the signature line counts {} events and the file holds {}, or their first and last events differ: events were removed or added",
                    m.events, self.events
                ),
            ));
        }
        if hex::encode(digest) != m.sha256 {
            return Err(invalid(
                line,
                "digest_mismatch",
                "the SHA-256 of the lines before the signature does not match it: the file was changed after it was signed"
                    .to_owned(),
            ));
        }
        if key_fingerprint(&public_key) != m.key_fingerprint
            || verifying.verify_strict(&m.message(), &signature).is_err()
        {
            return Err(invalid(
                line,
                "signature_mismatch",
                "the signature does not verify with the public key in the file: the signature line was changed"
                    .to_owned(),
            ));
        }
        Ok(AuditExportCheck {
            valid: true,
            events: self.events,
            first_seq: self.first_seq,
            last_seq,
            last_hash: self.last.map(|(_, hash)| hex::encode(hash)),
            entity_id: m.entity_id.clone(),
            exported_at: m.exported_at.clone(),
            public_key: m.public_key.clone(),
            device_key_fingerprint: key_fingerprint(&public_key),
            signed_by_this_device: this_device.map(|own| *own == public_key),
        })
    }
}

/// Checks a signed audit export read from `input`, line by line in constant memory, with no
/// database: every event's hash, every link between consecutive events, the digest and the
/// signature. `this_device` is the public key of the data directory at hand, when there is one.
/// A file that is not a signed export (a truncated one, a CSV export) is 422
/// `audit_export_malformed`; one that was changed is 409 `audit_export_invalid`; both name the
/// first line at fault and never its content.
pub fn verify_audit_export(mut input: impl BufRead, this_device: Option<&DeviceKeyView>) -> Result<AuditExportCheck> {
    let this_device = this_device.and_then(|key| bytes::<32>(&key.public_key));
    let unreadable = |e: std::io::Error| {
        Error::invalid_input(vec![Reason::field(
            "export",
            "input_unreadable",
            format!("could not read the export: {}", e.kind()),
        )])
    };
    let mut hasher = Sha256::new();
    let mut walk = Walk::default();
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = input.by_ref().take(MAX_LINE_BYTES).read_until(b'\n', &mut buf).map_err(unreadable)?;
        line += 1;
        if n == 0 {
            return Err(malformed(
                line,
                "signature_missing",
                "should be the signature line, but the file ends before it (a truncated file, or an unsigned export)",
            ));
        }
        if !buf.ends_with(b"\n") && n as u64 == MAX_LINE_BYTES {
            return Err(malformed(line, "line_malformed", "is too long"));
        }
        let text = std::str::from_utf8(&buf)
            .map_err(|_| malformed(line, "line_malformed", "is not UTF-8 text"))?
            .trim_end_matches(['\n', '\r']);
        let parsed: LineIn<'_> = serde_json::from_str(text)
            .map_err(|_| malformed(line, "line_malformed", "is not a JSON object of the export"))?;
        if let Some(block) = parsed.signature {
            let alone = parsed.seq.is_none()
                && parsed.id.is_none()
                && parsed.summary.is_none()
                && parsed.hash.is_none()
                && parsed.prev_hash.is_none();
            if !alone {
                return Err(malformed(line, "line_malformed", "mixes an event with the signature"));
            }
            let mut rest = [0u8; 1];
            if input.read(&mut rest).map_err(unreadable)? > 0 {
                return Err(malformed(
                    line + 1,
                    "line_malformed",
                    "follows the signature line, which must be the last",
                ));
            }
            return walk.finish(line, block, hasher.finalize().into(), this_device.as_ref());
        }
        hasher.update(&buf);
        walk.event(line, check_event(line, parsed)?)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_key_never_shows_its_secret_in_debug() {
        let row = DeviceKeyRow { secret_key: [7; 32], public_key: [0; 32], created_at: OffsetDateTime::UNIX_EPOCH };
        let key = DeviceKey::from_row(&row);
        let shown = format!("{key:?} {row:?}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(!shown.contains(&hex::encode([7u8; 32])) && !shown.contains("7, 7, 7"), "{shown}");
    }

    #[test]
    fn the_signed_message_names_every_field_once_in_order() {
        let m = SignatureBlock {
            format: FORMAT.into(),
            algorithm: ALGORITHM.into(),
            public_key: "ab".into(),
            key_fingerprint: "cd".into(),
            events: 2,
            first_seq: Some(1),
            last_seq: Some(2),
            entity_id: None,
            exported_at: "2026-11-22T12:00:00.000000Z".into(),
            sha256: "ef".into(),
            value: "not signed".into(),
        };
        assert_eq!(
            String::from_utf8(m.message()).unwrap(),
            "format:dossier-audit-export/1\nalgorithm:ed25519\npublic_key:ab\nkey_fingerprint:cd\nevents:2\n\
             first_seq:1\nlast_seq:2\nentity_id:\nexported_at:2026-11-22T12:00:00.000000Z\nsha256:ef"
        );
    }
}
