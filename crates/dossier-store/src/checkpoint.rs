//! Checkpoints off the command path. A connection in WAL mode normally folds the log back into
//! the database file itself, on the commit that takes the log past a thousand pages: that
//! commit then copies the pages and syncs the file, tens of times a command's usual time. A
//! long-running process (the desktop, the bench) turns that off and runs a [`Checkpointer`]: a
//! thread with a connection of its own that checkpoints every little while, so no command waits
//! for one. Passive checkpoints never block a writer or a reader.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::{KEY_BYTES, Result, StoreError};

/// A thread that checkpoints the database every `every`, until dropped (it checkpoints once
/// more on the way out).
pub struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    handle: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a connection of its own to the database at `path` (with `key`) and starts the
    /// thread.
    pub fn start(path: &Path, key: &[u8; KEY_BYTES], every: Duration) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::Open(e.to_string()))?;
        crate::encryption::apply_key(&conn, "main", key)?;
        conn.busy_timeout(Duration::from_millis(100))?;
        // This connection never writes a row; it must not checkpoint on close while the owner
        // works either (it does so itself, last, below).
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("dossier-checkpoint".into())
            .spawn(move || {
                let (lock, wake) = &*signal;
                let mut stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
                loop {
                    let (guard, _) = wake.wait_timeout(stopped, every).unwrap_or_else(|p| p.into_inner());
                    stopped = guard;
                    // A busy database (a writer mid-commit) is fine: the next round catches up.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    if *stopped {
                        break;
                    }
                }
            })
            .map_err(|e| StoreError::Open(format!("could not start the checkpoint thread: {}", e.kind())))?;
        Ok(Self { stop, handle: Some(handle) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
