//! `Tx::data_version` tells a later transaction whether what an earlier one concluded still
//! holds: it moves only when another connection commits. A four-eyes request is rehearsed in a
//! transaction rolled back in full and recorded in the next one on the strength of this.

use dossier_store::{KEY_BYTES, Store};

const KEY: [u8; KEY_BYTES] = [5; KEY_BYTES];

#[test]
fn data_version_moves_only_when_another_connection_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let mut mine = Store::open(&path, &KEY).unwrap();
    let mut other = Store::open(&path, &KEY).unwrap();
    let at = time::OffsetDateTime::UNIX_EPOCH;

    // A rehearsal that wrote and rolled back, then this connection's own commit: no change.
    let rehearsed = mine.rehearse(|tx| {
        tx.put_setting("a", "x", at)?;
        tx.data_version()
    });
    let rehearsed = rehearsed.unwrap();
    assert_eq!(mine.write(|tx| tx.data_version()).unwrap(), rehearsed);
    mine.write(|tx| tx.put_setting("b", "y", at)).unwrap();
    let own = mine.write(|tx| tx.data_version()).unwrap();
    assert_eq!(own, rehearsed, "this connection's own commit does not count");

    // Another connection's commit: the next transaction here sees a new value.
    other.write(|tx| tx.put_setting("c", "z", at)).unwrap();
    let after = mine.write(|tx| tx.data_version()).unwrap();
    assert_ne!(after, own, "another connection committed in between");
    assert_eq!(mine.read(|tx| tx.data_version()).unwrap(), after);
}
