//! The process's first databases opened on many threads at once. SQLite marks itself
//! initialised before SQLCipher's own setup has run, so a thread that opens a database in that
//! window could not key it ("An error occurred with PRAGMA key"). This binary holds one test so
//! that these opens are the first in the process.

use std::time::Duration;

use dossier_store::{KEY_BYTES, Store};

#[test]
fn the_first_databases_opened_on_many_threads_at_once_are_all_keyed() {
    const THREADS: usize = 16;
    let dir = tempfile::tempdir().unwrap();
    // One thread after another, a few hundred microseconds apart: the window is the time
    // SQLCipher's setup takes, and threads that arrive together all wait for it.
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let path = dir.path().join(format!("db{i}"));
            std::thread::sleep(Duration::from_micros(200));
            std::thread::spawn(move || Store::open(&path, &[i as u8; KEY_BYTES]).map(drop).map_err(|e| e.to_string()))
        })
        .collect();
    for handle in handles {
        handle.join().unwrap().unwrap();
    }
}
