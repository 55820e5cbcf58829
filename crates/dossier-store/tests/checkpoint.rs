//! With checkpoints off the command path, the background checkpointer folds the log back into
//! the database file; without one, the file stays as it was (the data waits in the log).

use std::time::{Duration, Instant};

use dossier_store::{Checkpointer, KEY_BYTES, Store};

const KEY: [u8; KEY_BYTES] = [9; KEY_BYTES];

/// Writes about 2 MB through `store`, in twenty commits, with auto-checkpoints off.
fn write_a_lot(store: &mut Store) {
    store.set_auto_checkpoint(0).unwrap();
    let at = time::OffsetDateTime::UNIX_EPOCH;
    for n in 0..20 {
        store.write(|tx| tx.put_setting(&format!("bulk-{n}"), &"x".repeat(100_000), at)).unwrap();
    }
}

fn file_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn the_background_checkpointer_moves_the_log_into_the_database_and_commits_never_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut store = Store::open(&path, &KEY).unwrap();
    let before = file_len(&path);
    write_a_lot(&mut store);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(file_len(&path), before, "no commit checkpointed: the rows wait in the log");

    let checkpointer = Checkpointer::start(&path, &KEY, Duration::from_millis(20)).unwrap();
    let started = Instant::now();
    while file_len(&path) < before + 2_000_000 {
        assert!(started.elapsed() < Duration::from_secs(10), "the checkpointer never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(checkpointer);
    // The data reads back whole through the writer's connection.
    let value = store.read(|tx| tx.setting("bulk-19")).unwrap();
    assert_eq!(value.map(|v| v.len()), Some(100_000));
}

/// Commits 64 MB back to back through `store`, never a pause for a passive checkpoint to catch
/// up in; returns the longest the log grew.
fn write_without_pause(store: &mut Store, wal: &std::path::Path) -> u64 {
    let at = time::OffsetDateTime::UNIX_EPOCH;
    let (mut written, mut longest) = (0u64, 0u64);
    let started = Instant::now();
    while written < 64_000_000 {
        assert!(started.elapsed() < Duration::from_secs(60), "too slow to tell: {written} bytes written");
        let n = written / 40_000 % 50;
        store.write(|tx| tx.put_setting(&format!("busy-{n}"), &format!("{written:020}").repeat(2_000), at)).unwrap();
        written += 40_000;
        longest = longest.max(file_len(wal));
    }
    longest
}

#[test]
fn writes_that_never_pause_keep_the_log_short_with_the_writers_backstop() {
    let run = |backstop: u32, background: bool| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut store = Store::open(&path, &KEY).unwrap();
        store.set_auto_checkpoint(backstop).unwrap();
        let checkpointer = background.then(|| Checkpointer::start(&path, &KEY, Duration::from_millis(20)).unwrap());
        let longest = write_without_pause(&mut store, &dir.path().join("c.db-wal"));
        drop(checkpointer);
        longest
    };
    // Without a backstop and with nothing else to checkpoint, everything written stays in the log.
    let unbounded = run(0, false);
    assert!(unbounded > 60_000_000, "the log should hold all 64 MB: {unbounded}");
    // The writer's backstop at 256 pages (1 MiB) starts the log over once it passes that.
    let alone = run(256, false);
    assert!(alone < 4_000_000, "the log grew to {alone} bytes with the backstop on");
    // With the background checkpointer running too, the writer's own checkpoint is skipped
    // while the other holds the checkpoint lock, so the log may pass the backstop for as long
    // as that lasts; it still starts over (passive checkpoints alone never manage to while
    // writes go on back to back, which is what the backstop is for).
    let both = run(256, true);
    assert!(both < 32_000_000, "the log grew to {both} bytes with the backstop and the checkpointer on");
}
