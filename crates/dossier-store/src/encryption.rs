//! Encryption at rest. Dossier's database is SQLCipher: every page of the file and of its WAL is
//! encrypted with the data key (a raw 256-bit key, so no key derivation runs at open; the
//! passphrase's Argon2id derivation happens once, in dossier-app, to unwrap that key).

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
    // An error here is the one the open below reports.
    READY.call_once(|| drop(Connection::open_in_memory()));
    Connection::open_with_flags(path, flags).map_err(|e| StoreError::Open(e.to_string()))
}

/// [`open_connection`], keyed with `key` and checked to open with it.
pub(crate) fn open_keyed(path: &Path, flags: OpenFlags, key: &[u8; KEY_BYTES]) -> Result<Connection> {
    let conn = open_connection(path, flags)?;
    apply_key(&conn, "main", key)?;
    Ok(conn)
}

/// Keys the schema `schema` of `conn` and checks that the key opens it: SQLCipher only finds
/// out at the first read, which fails with "file is not a database" for a wrong key.
pub(crate) fn apply_key(conn: &Connection, schema: &str, key: &[u8; KEY_BYTES]) -> Result<()> {
    let literal = raw_key_literal(key);
    conn.pragma_update(Some(schema), "key", &*literal)?;
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
        apply_key(&enc, "main", &KEY).unwrap();
        let (x, v): (String, i64) = enc
            .query_row("SELECT x, (SELECT user_version FROM pragma_user_version) FROM t", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((x.as_str(), v), ("kept", 7));
        assert_eq!(database_kind(&target).unwrap(), DatabaseKind::Encrypted);
        let bytes = std::fs::read(&target).unwrap();
        assert!(!bytes.windows(4).any(|w| w == b"kept"), "the copy holds the plain text");
    }
}
