//! Scans of identity documents and EDD evidence. Attaching a file copies it into the data
//! directory under its SHA-256 (`files/ab/abcdef…`), so a scan outlives the USB stick or the
//! Downloads folder it came from and the same scan is stored once. Records refer to it as
//! `file:<sha256>`; reading one back needs that reference, never a path, so the desktop app
//! can show scans without any file-system permission of its own.
//!
//! Each scan is stored encrypted with a key of its own, itself sealed under the data key (see
//! `encryption.rs`); the digest in its reference is that of the plain scan.
//!
//! Attaching writes no audit event: a stored scan is not a change until a document or a piece
//! of evidence refers to it, and that change is audited.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::error::Problem;
use crate::{Dossier, Error, Reason, Result};
use dossier_core::{Actor, Permission};

/// The largest scan accepted: a phone photo or a multi-page PDF fits comfortably.
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;
/// How stored references start.
pub const FILE_REFERENCE_PREFIX: &str = "file:";
pub(crate) const FILES_DIR: &str = "files";

/// A stored scan.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StoredFileView {
    /// `file:<sha256>`: what a document's or an evidence's `reference` holds.
    pub reference: String,
    /// The name of the file that was attached (for display only).
    pub name: String,
    /// `image/png`, `image/jpeg`, `image/gif`, `image/webp` or `application/pdf`, from the
    /// file's content (never its name).
    pub media_type: String,
    pub size: u64,
}

/// A stored scan's bytes, for a preview.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FileContentView {
    pub reference: String,
    pub media_type: String,
    pub size: u64,
    /// The bytes, base64 (standard alphabet, padded): ready for a `data:` URL.
    pub data_base64: String,
}

/// The media type of a scan from its first bytes, if it is one Dossier takes.
pub fn sniff_media_type(head: &[u8]) -> Option<&'static str> {
    match head {
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some("image/png"),
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some("image/gif"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        [b'%', b'P', b'D', b'F', b'-', ..] => Some("application/pdf"),
        _ => None,
    }
}

fn path_error(code: &str, message: &str) -> Error {
    Error::invalid_input(vec![Reason::field("path", code, message)])
}

fn storage_error(what: &str, e: &std::io::Error) -> Error {
    Error::Unexpected(Problem::new("storage_error", format!("could not {what} the stored scan: {}", e.kind())))
}

/// The hex digest in a `file:<sha256>` reference, if it is one.
fn digest_of(reference: &str) -> Option<&str> {
    let hex = reference.strip_prefix(FILE_REFERENCE_PREFIX)?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))).then_some(hex)
}

impl Dossier {
    fn stored_path(&self, hex: &str) -> PathBuf {
        self.data_dir.join(FILES_DIR).join(&hex[..2]).join(hex)
    }

    /// Copies a scan into the data directory and returns its reference. Refuses, writing
    /// nothing, a file that cannot be read, is empty or too large, or is not an image or PDF.
    pub fn attach_file(&self, actor: &Actor, path: &Path) -> Result<StoredFileView> {
        actor.require(Permission::Onboard)?;
        let unreadable = || path_error("file_unreadable", "the file could not be read: check that it exists");
        let meta = std::fs::metadata(path).map_err(|_| unreadable())?;
        if !meta.is_file() {
            return Err(unreadable());
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(path_error("file_too_large", "the file is larger than 25 MB: scan at a lower resolution"));
        }
        let bytes = std::fs::read(path).map_err(|_| unreadable())?;
        let media_type = sniff_media_type(&bytes)
            .ok_or_else(|| path_error("unsupported_file_type", "the file is not a PNG, JPEG, GIF, WebP or PDF file"))?;
        let hex = hex::encode(Sha256::digest(&bytes));
        let target = self.stored_path(&hex);
        if !target.exists() {
            let dir = target.parent().expect("a stored path has a parent");
            std::fs::create_dir_all(dir).map_err(|e| storage_error("store", &e))?;
            let sealed = crate::encryption::seal_scan(self.data_key(), &hex, &bytes)?;
            // Written beside its final place, flushed, then renamed: a crash leaves either no
            // file or the whole file, never a torn one under the reference.
            let temp = dir.join(format!(".{hex}.part"));
            let mut file = std::fs::File::create(&temp).map_err(|e| storage_error("store", &e))?;
            file.write_all(&sealed).and_then(|()| file.sync_all()).map_err(|e| storage_error("store", &e))?;
            std::fs::rename(&temp, &target).map_err(|e| storage_error("store", &e))?;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(StoredFileView {
            reference: format!("{FILE_REFERENCE_PREFIX}{hex}"),
            name,
            media_type: media_type.to_owned(),
            size: bytes.len() as u64,
        })
    }

    /// Whether a reference names a scan that is stored here.
    pub fn file_exists(&self, reference: &str) -> bool {
        digest_of(reference).is_some_and(|hex| self.stored_path(hex).is_file())
    }

    /// Refuses references to scans that are not stored here: `(field path, reference)` pairs;
    /// references that are not `file:` ones (a provider's document id) are taken as they are.
    pub(crate) fn check_stored<'a>(&self, refs: impl IntoIterator<Item = (String, &'a str)>) -> Result<()> {
        let missing: Vec<Reason> = refs
            .into_iter()
            .filter(|(_, r)| r.starts_with(FILE_REFERENCE_PREFIX) && !self.file_exists(r))
            .map(|(field, _)| {
                let message = format!("{field} names no stored scan: attach the file again");
                Reason::field(field, "file_not_found", message)
            })
            .collect();
        if missing.is_empty() { Ok(()) } else { Err(Error::invalid_input(missing)) }
    }

    /// A stored scan's bytes, checked against its digest (a damaged file is reported, not shown).
    pub fn file_content(&self, actor: &Actor, reference: &str) -> Result<FileContentView> {
        actor.require(Permission::Read)?;
        let hex = digest_of(reference).ok_or_else(|| {
            Error::invalid_input(vec![Reason::field(
                "reference",
                "invalid_id",
                "reference is not a stored scan's reference",
            )])
        })?;
        let bytes = self.read_scan(hex)?;
        let media_type = sniff_media_type(&bytes).unwrap_or("application/octet-stream");
        Ok(FileContentView {
            reference: reference.to_owned(),
            media_type: media_type.to_owned(),
            size: bytes.len() as u64,
            data_base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
        })
    }

    /// A stored scan's plain bytes by its digest, decrypted and checked against the digest.
    pub(crate) fn read_scan(&self, hex: &str) -> Result<Vec<u8>> {
        let stored = match std::fs::read(self.stored_path(hex)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::not_found("file")),
            Err(e) => return Err(storage_error("read", &e)),
        };
        let bytes = crate::encryption::open_scan(self.data_key(), hex, &stored).unwrap_or_default();
        if bytes.is_empty() || hex::encode(Sha256::digest(&bytes)) != hex {
            return Err(Error::Unexpected(Problem::new(
                "storage_error",
                "the stored scan is damaged (its content no longer matches its reference): restore a backup",
            )));
        }
        Ok(bytes)
    }
}
