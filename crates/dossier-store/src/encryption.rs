//! Encryption at rest. Dossier's database is SQLCipher: every page of the file and of its WAL is
//! encrypted with the data key (a raw 256-bit key, so no key derivation runs at open; the
//! passphrase's Argon2id derivation happens once, in dossier-app, to unwrap that key).
//!
//! Pages are sealed in one of two [`PageFormat`]s. New databases get the compact one (2 KiB
//! pages, HMAC-SHA256); databases made by earlier versions keep SQLCipher 4's defaults (4 KiB
//! pages, HMAC-SHA512), and open as before. A file does not say which format it has, so
//! [`open_keyed`] tries the compact format first and the earlier one when that fails; a key that
//! fits neither is [`StoreError::WrongKey`] as before.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use zeroize::Zeroizing;

use crate::{Result, StoreError};

/// The length of the data key.
pub const KEY_BYTES: usize = 32;

/// The first bytes of every plain (unencrypted) SQLite database file.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What a database file on disk is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// No file, or an empty one.
    Missing,
    /// A plain SQLite database (written before Dossier encrypted its data).
    Plain,
    /// Anything else: an encrypted database (or a file that is not a database at all, which
    /// opening with a key reports as [`StoreError::WrongKey`]).
    Encrypted,
}

/// Looks at the first 16 bytes of `path`.
pub fn database_kind(path: &Path) -> std::io::Result<DatabaseKind> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DatabaseKind::Missing),
        Err(e) => return Err(e),
    };
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(match read {
        0 => DatabaseKind::Missing,
        16 if &head == PLAIN_HEADER => DatabaseKind::Plain,
        _ => DatabaseKind::Encrypted,
    })
}

/// `x'…'`: SQLCipher's syntax for a raw key, for `PRAGMA key`. Zeroed when dropped; never
/// print it.
pub fn raw_key_literal(key: &[u8; KEY_BYTES]) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(3 + 2 * KEY_BYTES));
    text.push_str("x'");
    for byte in key {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        text.push(HEX[usize::from(byte >> 4)] as char);
        text.push(HEX[usize::from(byte & 0x0f)] as char);
    }
    text.push('\'');
    text
}

/// Opens `path` with `flags`, once SQLCipher is ready in this process.
///
/// SQLite marks itself initialised before it runs SQLCipher's own setup, so a thread that opens
/// its first database in between cannot key it ("An error occurred with PRAGMA key"). The first
/// caller opens an in-memory database, which runs the whole setup, while any other waits for it.
pub(crate) fn open_connection(path: &Path, flags: OpenFlags) -> Result<Connection> {
    static READY: std::sync::Once = std::sync::Once::new();
    // An error here is the one the open below reports. SQLCipher writes its own diagnostics to
    // standard error, the CLI's progress channel, among them one for every page whose seal does
    // not match, which the first try of [`open_keyed`] meets on every database of the earlier
    // format: Dossier reports errors itself, so those lines are turned off.
    READY.call_once(|| {
        if let Ok(conn) = Connection::open_in_memory() {
            let _ = conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()));
        }
    });
    Connection::open_with_flags(path, flags).map_err(|e| StoreError::Open(e.to_string()))
}

/// How SQLCipher lays out and seals the pages of a database file.
///
/// A command's commit writes one page per b-tree it touches (about twenty), and SQLCipher
/// encrypts each with AES-256-CBC and seals it with an HMAC, whatever share of the page the
/// command changed: on a 4 KiB page with HMAC-SHA512 that work was about 40 % of a command's
/// time. Half-size pages halve it per page, and SHA-256 is the cheaper HMAC on 64-bit x86 (it
/// is as strong a seal here: the HMAC only has to tell a page written with the key from any
/// other). Measured at 1 M customers, commands took a quarter less time (docs/performance.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFormat {
    /// 2 KiB pages, HMAC-SHA256: every database created since this format was introduced.
    Compact,
    /// SQLCipher 4's defaults, 4 KiB pages and HMAC-SHA512: databases made before.
    Sqlcipher4Default,
}

impl PageFormat {
    /// `PRAGMA` statements that set this format on `schema`, after its key and before the first
    /// read. Both formats are spelled out, so a change of SQLCipher's defaults changes neither.
    pub(crate) fn pragmas(self, schema: &str) -> String {
        let (page_size, hmac) = match self {
            Self::Compact => (2048, "HMAC_SHA256"),
            Self::Sqlcipher4Default => (4096, "HMAC_SHA512"),
        };
        format!(
            "PRAGMA \"{schema}\".cipher_page_size = {page_size}; PRAGMA \"{schema}\".cipher_hmac_algorithm = {hmac};"
        )
    }

    /// The format `conn` has its main database open with.
    pub fn of(conn: &Connection) -> Result<Self> {
        Ok(if page_size(conn)? == 2048 { Self::Compact } else { Self::Sqlcipher4Default })
    }
}

/// The page size of `conn`'s main database, in bytes. (SQLCipher answers `page_size` as text.)
pub(crate) fn page_size(conn: &Connection) -> Result<u32> {
    let size = conn.query_row("PRAGMA page_size", [], |r| match r.get_ref(0)? {
        rusqlite::types::ValueRef::Integer(n) => Ok(u32::try_from(n).ok()),
        other => Ok(other.as_str().ok().and_then(|t| t.parse().ok())),
    })?;
    size.ok_or_else(|| StoreError::Open("the database reports no page size".into()))
}

/// [`open_connection`], keyed with `key` and checked to open with it: in the compact format,
/// or, for a database made before it (whose first page the compact format cannot read), in
/// SQLCipher 4's default one.
pub(crate) fn open_keyed(path: &Path, flags: OpenFlags, key: &[u8; KEY_BYTES]) -> Result<Connection> {
    match open_as(path, flags, key, PageFormat::Compact) {
        Err(StoreError::WrongKey) => open_as(path, flags, key, PageFormat::Sqlcipher4Default),
        opened => opened,
    }
}

/// A connection of its own to the database at `path` (with SQLite's default flags: read-write,
/// created when missing), keyed with `key` in whichever [`PageFormat`] the database has: for
/// tools and tests that look at the file beside the app (the app's own connections are
/// [`crate::Store`]'s).
pub fn connect(path: &Path, key: &[u8; KEY_BYTES]) -> Result<Connection> {
    open_keyed(path, OpenFlags::default(), key)
}

fn open_as(path: &Path, flags: OpenFlags, key: &[u8; KEY_BYTES], format: PageFormat) -> Result<Connection> {
    let conn = open_connection(path, flags)?;
    apply_key(&conn, "main", key, format)?;
    Ok(conn)
}

/// Keys the schema `schema` of `conn`, sets its page format, and checks that the key opens it:
/// SQLCipher only finds out at the first read, which fails with "file is not a database" for a
/// wrong key or format. (A new, empty database opens with either and gets `format`.)
pub(crate) fn apply_key(conn: &Connection, schema: &str, key: &[u8; KEY_BYTES], format: PageFormat) -> Result<()> {
    let literal = raw_key_literal(key);
    conn.pragma_update(Some(schema), "key", &*literal)?;
    conn.execute_batch(&format.pragmas(schema))?;
    check_key(conn, schema)
}

fn check_key(conn: &Connection, schema: &str) -> Result<()> {
    let sql = format!("SELECT count(*) FROM \"{schema}\".sqlite_master");
    match conn.query_row(&sql, [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => {
            Err(StoreError::WrongKey)
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes an encrypted copy of the plain database `plain` to `target` (replacing any partial
/// copy a crash left there), keyed with `key`, with the same schema version. `plain` is only
/// read, after its WAL is checkpointed into it; the caller swaps the files. The copy is synced
/// before this returns.
pub fn encrypt_plain(plain: &Path, target: &Path, key: &[u8; KEY_BYTES]) -> Result<()> {
    remove_if_present(target)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        remove_if_present(&with_suffix(target, suffix))?;
    }
    if database_kind(plain).map_err(|e| StoreError::Open(e.to_string()))? != DatabaseKind::Plain {
        return Err(StoreError::Open("the database to encrypt is not a plain database".into()));
    }
    // CREATE: an attached database is opened with the main one's flags, and the copy is new.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = open_connection(plain, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Everything committed goes into the main file, so the copy below misses nothing.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let target_text =
        target.to_str().ok_or_else(|| StoreError::Open("the data directory's path is not UTF-8".into()))?;
    let literal = raw_key_literal(key);
    conn.execute("ATTACH DATABASE ?1 AS encrypted KEY ?2", rusqlite::params![target_text, &*literal])?;
    conn.execute_batch(&PageFormat::Compact.pragmas("encrypted"))?;
    conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    // sqlcipher_export copies the schema and rows, not the header's user_version, which is
    // the migrations' bookmark.
    conn.pragma_update(Some("encrypted"), "user_version", version)?;
    conn.execute("DETACH DATABASE encrypted", [])?;
    drop(conn);
    std::fs::File::open(target).and_then(|f| f.sync_all()).map_err(|e| StoreError::Open(e.to_string()))?;
    // The copy must open with the key and hold what the original holds.
    // Read-write (without create): a WAL database opened read-only needs its -shm file to exist.
    let check = open_keyed(target, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX, key)?;
    let ok: String = check.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if ok != "ok" {
        return Err(StoreError::Open("the encrypted copy failed its integrity check".into()));
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    name.into()
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::Open(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; KEY_BYTES] = [7; KEY_BYTES];

    #[test]
    fn a_wrong_key_is_refused_and_the_file_is_not_plain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        drop(crate::Store::open(&path, &KEY).unwrap());
        assert_eq!(database_kind(&path).unwrap(), DatabaseKind::Encrypted);
        assert!(matches!(crate::Store::open(&path, &[8; KEY_BYTES]), Err(StoreError::WrongKey)));
        assert!(crate::Store::open(&path, &KEY).is_ok());
    }

    /// The size in the header of `path`'s write-ahead log: the page size its frames were written in.
    fn log_page_size(path: &Path) -> u32 {
        let head = std::fs::read(with_suffix(path, "-wal")).unwrap();
        u32::from_be_bytes(head[8..12].try_into().unwrap())
    }

    #[test]
    fn a_new_database_gets_the_compact_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut store = crate::Store::open(&path, &KEY).unwrap();
        assert_eq!(store.page_format().unwrap(), PageFormat::Compact);
        store.write(|tx| tx.put_setting("k", "v", time::OffsetDateTime::UNIX_EPOCH)).unwrap();
        assert_eq!(log_page_size(&path), 2048);
        let conn = open_keyed(&path, OpenFlags::SQLITE_OPEN_READ_WRITE, &KEY).unwrap();
        let hmac: String = conn.query_row("PRAGMA cipher_hmac_algorithm", [], |r| r.get(0)).unwrap();
        assert_eq!(hmac, "HMAC_SHA256");
    }

    #[test]
    fn a_database_of_the_earlier_format_opens_as_it_is_with_what_its_log_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        // As earlier versions made it: only the key set, SQLCipher's defaults for the rest, and
        // rows still in the log (as a crash leaves them).
        let old = Connection::open(&path).unwrap();
        old.pragma_update(None, "key", &*raw_key_literal(&KEY)).unwrap();
        old.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
        old.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        old.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true).unwrap();
        old.execute_batch("INSERT INTO t VALUES (2); INSERT INTO t VALUES (3);").unwrap();
        drop(old);
        assert_eq!(log_page_size(&path), 4096);
        let files = |path: &Path| (std::fs::read(path).unwrap(), std::fs::read(with_suffix(path, "-wal")).unwrap());
        let before = files(&path);

        // The compact format, tried first, cannot read it, and leaves the file and its log as
        // they were (SQLite does not fold a log of another page size into the file).
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE;
        assert!(matches!(open_as(&path, flags, &KEY, PageFormat::Compact), Err(StoreError::WrongKey)));
        assert_eq!(files(&path), before);

        let conn = open_keyed(&path, flags, &KEY).unwrap();
        assert_eq!(PageFormat::of(&conn).unwrap(), PageFormat::Sqlcipher4Default);
        let hmac: String = conn.query_row("PRAGMA cipher_hmac_algorithm", [], |r| r.get(0)).unwrap();
        assert_eq!(hmac, "HMAC_SHA512");
        let sum: i64 = conn.query_row("SELECT sum(x) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(sum, 6, "the rows in the log are read");
        conn.execute("INSERT INTO t VALUES (4)", []).unwrap();
        drop(conn);

        // A wrong key opens neither format.
        assert!(matches!(open_keyed(&path, flags, &[8; KEY_BYTES]), Err(StoreError::WrongKey)));
        let store = crate::Store::open(&path, &KEY).unwrap();
        assert_eq!(store.page_format().unwrap(), PageFormat::Sqlcipher4Default);
        assert_eq!(store.integrity_check(), Ok(()));
        // Its snapshots (backups) keep its format, and hold what it holds.
        let copy = dir.path().join("copy.db");
        store.snapshot_to(&copy).unwrap();
        let conn = open_as(&copy, flags, &KEY, PageFormat::Sqlcipher4Default).unwrap();
        let sum: i64 = conn.query_row("SELECT sum(x) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(sum, 10);
    }

    #[test]
    fn a_snapshot_keeps_the_format_of_its_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut store = crate::Store::open(&path, &KEY).unwrap();
        store.write(|tx| tx.put_setting("k", "v", time::OffsetDateTime::UNIX_EPOCH)).unwrap();
        let copy = dir.path().join("copy.db");
        store.snapshot_to(&copy).unwrap();
        let conn = open_as(&copy, OpenFlags::SQLITE_OPEN_READ_WRITE, &KEY, PageFormat::Compact).unwrap();
        let value: String = conn.query_row("SELECT value FROM settings WHERE key = 'k'", [], |r| r.get(0)).unwrap();
        assert_eq!(value, "v");
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert!(version > 0, "the copy keeps the schema version");
        assert!(store.snapshot_to(&copy).is_err(), "an existing file is refused");
    }

    #[test]
    fn a_plain_database_is_copied_encrypted_with_its_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.db");
        let conn = Connection::open(&plain).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES ('kept'); PRAGMA user_version=7;",
        )
        .unwrap();
        assert_eq!(database_kind(&plain).unwrap(), DatabaseKind::Plain);
        let target = dir.path().join("enc.db");
        encrypt_plain(&plain, &target, &KEY).unwrap();
        drop(conn);
        let enc = Connection::open(&target).unwrap();
        apply_key(&enc, "main", &KEY, PageFormat::Compact).unwrap();
        let (x, v): (String, i64) = enc
            .query_row("SELECT x, (SELECT user_version FROM pragma_user_version) FROM t", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((x.as_str(), v), ("kept", 7));
        assert_eq!(PageFormat::of(&enc).unwrap(), PageFormat::Compact);
        assert_eq!(database_kind(&target).unwrap(), DatabaseKind::Encrypted);
        let bytes = std::fs::read(&target).unwrap();
        assert!(!bytes.windows(4).any(|w| w == b"kept"), "the copy holds the plain text");
    }
}
