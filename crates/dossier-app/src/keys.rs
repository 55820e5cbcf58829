//! The data key and the passphrase that unlocks it.
//!
//! Everything Dossier writes under a data directory that holds personal data is encrypted with
//! one random 256-bit **data key**: the database (SQLCipher), every stored scan (see
//! [`crate::files`]) and the sandbox's records. The data key itself is stored only wrapped, in
//! `key.json`: encrypted (XChaCha20-Poly1305) under a key derived from the passphrase by
//! Argon2id (64 MiB, 3 passes by default) with a random salt. A wrong passphrase fails the
//! wrapping's authentication tag, so it is told apart from a damaged database, and nothing is
//! opened, let alone written.
//!
//! Changing the passphrase re-wraps the data key (one atomic file replacement), so it is
//! instant and cannot half-fail; what an old passphrase opened, it no longer opens. The data
//! key itself stays: rotating it would rewrite every page and every scan, and a backup restored
//! into a fresh directory gets the same protection. `key.json` holds no personal data.

use std::io::Write;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Problem;
use crate::{Error, Reason, Result};

/// The key file beside the database.
pub const KEY_FILE: &str = "key.json";
/// The length of the data key, and of every derived or per-file key.
pub const KEY_BYTES: usize = 32;
/// The shortest passphrase accepted for a new key.
pub const MIN_PASSPHRASE_CHARS: usize = 10;
const NONCE_BYTES: usize = 24;
const SALT_BYTES: usize = 16;
/// Bound into the wrapping, so a wrapped data key cannot be taken for anything else.
const WRAP_CONTEXT: &[u8] = b"dossier data key v1";

/// A passphrase. Zeroed when dropped; its `Debug` shows nothing.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }
    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
    /// Refuses a passphrase too short to protect a lost laptop's data.
    pub fn check_new(&self, field: &str) -> Result<()> {
        if self.0.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(Error::invalid_input(vec![Reason::field(
                field,
                "passphrase_too_short",
                format!("{field} must be at least {MIN_PASSPHRASE_CHARS} characters long"),
            )]));
        }
        Ok(())
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(redacted)")
    }
}

/// The data key. Zeroed when dropped; its `Debug` shows nothing.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; KEY_BYTES]>);

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self> {
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        random(&mut key[..])?;
        Ok(Self(key))
    }
    pub(crate) fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        Self(Zeroizing::new(bytes))
    }
    pub(crate) fn bytes(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }
    /// Encrypts `plain` under this key with a random nonce, binding `context` (which is not
    /// stored: the reader must supply the same). Output: nonce ‖ ciphertext ‖ tag.
    pub(crate) fn seal(&self, plain: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        seal_with(&self.0, plain, context)
    }
    /// Reverses [`DataKey::seal`]; `None` when the key, the context or the bytes are wrong.
    pub(crate) fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        open_with(&self.0, sealed, context)
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(redacted)")
    }
}

pub(crate) fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| {
        Error::Unexpected(Problem::new("randomness_unavailable", "the system's random number generator failed"))
    })
}

fn seal_with(key: &[u8; KEY_BYTES], plain: &[u8], context: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_BYTES];
    random(&mut nonce)?;
    let cipher = XChaCha20Poly1305::new(key.into());
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: context })
        .map_err(|_| Error::Unexpected(Problem::new("encryption_failed", "could not encrypt")))?;
    let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open_with(key: &[u8; KEY_BYTES], sealed: &[u8], context: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_BYTES {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_BYTES);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: context }).ok().map(Zeroizing::new)
}

/// How hard the passphrase is stretched. Stored in `key.json`, so a key made with other
/// parameters still opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB and 3 passes: about a quarter of a second on a laptop, for each guess too.
    fn default() -> Self {
        Self { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 }
    }
}

impl KdfParams {
    /// Minimal stretching, for tests that create many data directories. Never for real data.
    pub const INSECURE_FAST: KdfParams = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };
}

/// Whether the data directory is fully encrypted, or half-way through its conversion from a
/// plain one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum KeyState {
    Ready,
    Encrypting,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    format: String,
    version: u32,
    state: KeyState,
    kdf: KdfRecord,
    /// The data key, sealed under the passphrase's key: base64 of nonce ‖ ciphertext ‖ tag.
    wrapped_key: String,
}

#[derive(Serialize, Deserialize)]
struct KdfRecord {
    algorithm: String,
    #[serde(flatten)]
    params: KdfParams,
    /// Base64.
    salt: String,
}

const FORMAT: &str = "dossier-key";
const VERSION: u32 = 1;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn key_file_error(what: &str) -> Error {
    Error::Unexpected(Problem::new(
        "key_file_unreadable",
        format!("the data directory's key file {what}: restore it from a backup"),
    ))
}

fn derive(passphrase: &Passphrase, params: KdfParams, salt: &[u8]) -> Result<Zeroizing<[u8; KEY_BYTES]>> {
    let argon = Params::new(params.memory_kib, params.iterations, params.parallelism, Some(KEY_BYTES))
        .map_err(|_| key_file_error("has key-derivation settings this build cannot use"))?;
    let mut out = Zeroizing::new([0u8; KEY_BYTES]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, argon)
        .hash_password_into(passphrase.bytes(), salt, &mut out[..])
        .map_err(|_| key_file_error("has key-derivation settings this build cannot use"))?;
    Ok(out)
}

/// Whether `dir` has a key file.
pub fn has_key(dir: &Path) -> bool {
    dir.join(KEY_FILE).is_file()
}

fn read(dir: &Path) -> Result<KeyFile> {
    let text = std::fs::read_to_string(dir.join(KEY_FILE)).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => not_initialised(),
        kind => key_file_error(&format!("cannot be read ({kind})")),
    })?;
    let file: KeyFile = serde_json::from_str(&text).map_err(|_| key_file_error("is damaged"))?;
    if file.format != FORMAT || file.kdf.algorithm != "argon2id" {
        return Err(key_file_error("is not a Dossier key file"));
    }
    if file.version > VERSION {
        return Err(key_file_error("was written by a newer version of Dossier"));
    }
    Ok(file)
}

pub(crate) fn not_initialised() -> Error {
    let message =
        "this data directory has not been set up: run `dossier init --admin NAME` (or open the desktop app) first";
    Error::Conflict(
        Problem::new("not_initialised", message).with_reasons(vec![Reason::new("not_initialised", message)]),
    )
}

/// Seals `key` under `passphrase` into a key file value.
fn wrap(key: &DataKey, passphrase: &Passphrase, params: KdfParams, state: KeyState) -> Result<KeyFile> {
    let mut salt = [0u8; SALT_BYTES];
    random(&mut salt)?;
    let kek = derive(passphrase, params, &salt)?;
    let wrapped = seal_with(&kek, key.bytes(), WRAP_CONTEXT)?;
    Ok(KeyFile {
        format: FORMAT.to_owned(),
        version: VERSION,
        state,
        kdf: KdfRecord { algorithm: "argon2id".to_owned(), params, salt: b64().encode(salt) },
        wrapped_key: b64().encode(wrapped),
    })
}

/// Writes the key file atomically (a temporary file, synced, renamed, the directory synced), so
/// a crash leaves the old file or the new one. Readable by the owner only.
fn write(dir: &Path, file: &KeyFile) -> Result<()> {
    let text = serde_json::to_string_pretty(file).expect("a key file serializes");
    write_atomically(dir, KEY_FILE, text.as_bytes())
}

/// Writes `dir/name` atomically with mode 0600 on Unix.
pub(crate) fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let failed = |e: std::io::Error| {
        Error::Unexpected(Problem::new("storage_error", format!("could not write {name}: {}", e.kind())))
    };
    let temp = dir.join(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&temp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&temp).map_err(failed)?;
    out.write_all(bytes).and_then(|()| out.sync_all()).map_err(failed)?;
    drop(out);
    std::fs::rename(&temp, dir.join(name)).map_err(failed)?;
    sync_dir(dir);
    Ok(())
}

/// Makes a rename in `dir` durable (Unix; elsewhere a no-op).
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Creates a new data key for `dir`, wrapped under `passphrase`. Refuses when a key exists.
pub(crate) fn create(dir: &Path, passphrase: &Passphrase, params: KdfParams, state: KeyState) -> Result<DataKey> {
    if has_key(dir) {
        return Err(already_initialised());
    }
    let key = DataKey::generate()?;
    write(dir, &wrap(&key, passphrase, params, state)?)?;
    Ok(key)
}

pub(crate) fn already_initialised() -> Error {
    let message = "this data directory is already set up";
    Error::Conflict(
        Problem::new("already_initialised", message).with_reasons(vec![Reason::new("already_initialised", message)]),
    )
}

/// Unwraps the data key with `passphrase`. A wrong passphrase is `wrong_passphrase` (401).
pub(crate) fn unlock(dir: &Path, passphrase: &Passphrase) -> Result<(DataKey, KeyState)> {
    let file = read(dir)?;
    let salt = b64().decode(&file.kdf.salt).map_err(|_| key_file_error("is damaged"))?;
    let wrapped = b64().decode(&file.wrapped_key).map_err(|_| key_file_error("is damaged"))?;
    let kek = derive(passphrase, file.kdf.params, &salt)?;
    let plain = open_with(&kek, &wrapped, WRAP_CONTEXT).ok_or_else(wrong_passphrase)?;
    let bytes: [u8; KEY_BYTES] = plain.as_slice().try_into().map_err(|_| key_file_error("is damaged"))?;
    Ok((DataKey(Zeroizing::new(bytes)), file.state))
}

/// Where the OS keyring keeps a remembered data key: one entry per data directory.
const KEYRING_SERVICE: &str = "dossier-data-key";

fn keyring_entry(dir: &Path) -> Option<keyring::Entry> {
    // `DOSSIER_CREDENTIALS=file` keeps Dossier out of the keyring (shared machines, tests).
    if std::env::var("DOSSIER_CREDENTIALS").is_ok_and(|v| v == "file") {
        return None;
    }
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    keyring::Entry::new(KEYRING_SERVICE, &dir.display().to_string()).ok()
}

fn keyring_unavailable() -> Error {
    Error::Unexpected(Problem::new(
        "keyring_unavailable",
        "no OS keyring answers on this computer (or it refused): keep using the passphrase",
    ))
}

/// Remembers the data key of `dir` in the OS keyring (macOS Keychain, Windows Credential
/// Manager, a Secret Service on Linux), so this user account on this computer opens it without
/// the passphrase; `passphrase` must open it. The passphrase keeps working.
pub fn remember_in_keyring(dir: &Path, passphrase: &Passphrase) -> Result<()> {
    let (key, _) = unlock(dir, passphrase)?;
    let entry = keyring_entry(dir).ok_or_else(keyring_unavailable)?;
    let hex = Zeroizing::new(hex::encode(key.bytes()));
    entry.set_password(&hex).map_err(|_| keyring_unavailable())
}

/// Forgets a remembered data key; `true` when there was one.
pub fn forget_in_keyring(dir: &Path) -> Result<bool> {
    match keyring_entry(dir).map(|e| e.delete_credential()) {
        Some(Ok(())) => Ok(true),
        Some(Err(keyring::Error::NoEntry)) | None => Ok(false),
        Some(Err(_)) => Err(keyring_unavailable()),
    }
}

/// The data key of `dir` when the OS keyring remembers it (see [`remember_in_keyring`]).
pub fn from_keyring(dir: &Path) -> Option<DataKey> {
    let hex = Zeroizing::new(keyring_entry(dir)?.get_password().ok()?);
    let bytes = Zeroizing::new(hex::decode(hex.as_str()).ok()?);
    let key: [u8; KEY_BYTES] = bytes.as_slice().try_into().ok()?;
    Some(DataKey::from_bytes(key))
}

/// The data key of `dir`, for tools that open the database file directly (tests; a recovery with
/// the `sqlcipher` shell). Never print it.
pub fn unlock_data_key(dir: &Path, passphrase: &Passphrase) -> Result<DataKey> {
    unlock(dir, passphrase).map(|(key, _)| key)
}

impl DataKey {
    /// The key as SQLCipher's `PRAGMA key` value (`x'…'`).
    pub fn sqlcipher_literal(&self) -> Zeroizing<String> {
        dossier_store::raw_key_literal(self.bytes())
    }
}

pub(crate) fn wrong_passphrase() -> Error {
    Error::Unauthenticated(Problem::new(
        "wrong_passphrase",
        "the passphrase does not open this data directory: check it and try again",
    ))
}

/// The state the key file records, without unlocking it.
pub(crate) fn read_state(dir: &Path) -> Result<KeyState> {
    Ok(read(dir)?.state)
}

pub(crate) fn key_file_missing() -> Error {
    Error::Unexpected(Problem::new(
        "key_file_unreadable",
        "the data directory's database is encrypted but its key file is missing: restore it from a backup",
    ))
}

/// Marks the conversion of a plain directory finished.
pub(crate) fn set_state(dir: &Path, state: KeyState) -> Result<()> {
    let mut file = read(dir)?;
    if file.state != state {
        file.state = state;
        write(dir, &file)?;
    }
    Ok(())
}

/// Re-wraps the data key under `new`; `old` must open it. The old passphrase stops working the
/// moment the new file is in place.
pub(crate) fn change(dir: &Path, old: &Passphrase, new: &Passphrase, params: KdfParams) -> Result<()> {
    new.check_new("new_passphrase")?;
    let (key, state) = unlock(dir, old)?;
    write(dir, &wrap(&key, new, params, state)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_opens_with_its_passphrase_only_and_debug_shows_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let pass = Passphrase::new("correct horse battery".into());
        let key = create(dir.path(), &pass, KdfParams::INSECURE_FAST, KeyState::Ready).unwrap();
        let (again, _) = unlock(dir.path(), &pass).unwrap();
        assert_eq!(key.bytes(), again.bytes());
        let wrong = unlock(dir.path(), &Passphrase::new("correct horse battery!".into())).unwrap_err();
        assert_eq!((wrong.status(), wrong.code()), (401, "wrong_passphrase"));
        assert_eq!(format!("{key:?} {pass:?}"), "DataKey(redacted) Passphrase(redacted)");
        let text = std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap();
        assert!(!text.contains("correct horse"));
    }

    #[test]
    fn changing_the_passphrase_keeps_the_key_and_retires_the_old_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let old = Passphrase::new("first passphrase".into());
        let new = Passphrase::new("second passphrase".into());
        let key = create(dir.path(), &old, KdfParams::INSECURE_FAST, KeyState::Ready).unwrap();
        let short = change(dir.path(), &old, &Passphrase::new("short".into()), KdfParams::INSECURE_FAST).unwrap_err();
        assert_eq!(short.code(), "invalid_input");
        assert!(unlock(dir.path(), &old).is_ok(), "a refused change changes nothing");
        assert_eq!(change(dir.path(), &new, &new, KdfParams::INSECURE_FAST).unwrap_err().code(), "wrong_passphrase");
        change(dir.path(), &old, &new, KdfParams::INSECURE_FAST).unwrap();
        assert_eq!(unlock(dir.path(), &old).unwrap_err().code(), "wrong_passphrase");
        assert_eq!(unlock(dir.path(), &new).unwrap().0.bytes(), key.bytes());
    }

    #[test]
    fn sealed_bytes_open_only_with_the_same_key_and_context() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(b"scan bytes", b"file:ab").unwrap();
        assert_eq!(key.open(&sealed, b"file:ab").unwrap().as_slice(), b"scan bytes");
        assert!(key.open(&sealed, b"file:cd").is_none());
        assert!(DataKey::generate().unwrap().open(&sealed, b"file:ab").is_none());
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(key.open(&flipped, b"file:ab").is_none());
    }
}
