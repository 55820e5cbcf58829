//! Checkpoints off the command path. A connection in WAL mode normally folds the log back into
//! the database file itself, on the commit that takes the log past a thousand pages: that
//! commit then copies the pages and syncs the file, tens of times a command's usual time. A
//! long-running process (the desktop, the bench) turns that off and runs a [`Checkpointer`]: a
//! thread with a connection of its own that checkpoints every little while, so no command waits
//! for one. Passive checkpoints never block a writer or a reader.
//!
//! A passive checkpoint alone cannot keep the log short under writes that never pause (an
//! import, a long sync drain, the bench's commands): SQLite starts the log over only after a
//! checkpoint has copied every page in it, and a writer that commits while the checkpoint runs
//! always leaves some behind, so the log grows for as long as the writes go on (to 900 MB in the
//! bench, where every page read then searched an ever longer log index), and a blocking
//! checkpoint from this thread never gets its turn between back-to-back write transactions.
//! So the writer keeps a backstop: its own commit checkpoints once the log passes
//! [`LOG_LIMIT_BYTES`] (`Store::set_log_limit`), which with no other writer copies the
//! rest and lets the next commit start the log over; and while writes go on, this thread runs
//! every [`BUSY_EVERY`], so what is left for the writer to copy is a moment's worth.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::OpenFlags;

use crate::{KEY_BYTES, Result, StoreError};

/// The log length at which the writer's own commit checkpoints when a [`Checkpointer`] runs
/// (`Store::set_log_limit`): 32 MiB, far more than a desktop writes between two rounds of the
/// thread, so only writes that never pause reach it.
pub const LOG_LIMIT_BYTES: u32 = 32 << 20;

/// How soon the next round comes when the last one found the log busy (longer than a sixteenth
/// of [`LOG_LIMIT_BYTES`] after checkpointing it).
pub const BUSY_EVERY: Duration = Duration::from_millis(50);

/// A thread that checkpoints the database every `every` (every [`BUSY_EVERY`] while writes
/// keep the log long), until dropped (it checkpoints once more on the way out).
pub struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    handle: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a connection of its own to the database at `path` (with `key`) and starts the
    /// thread.
    pub fn start(path: &Path, key: &[u8; KEY_BYTES], every: Duration) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = crate::encryption::open_keyed(path, flags, key)?;
        conn.busy_timeout(Duration::from_millis(100))?;
        // This connection never writes a row; it must not checkpoint on close while the owner
        // works either (it does so itself, last, below).
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let busy_pages = i64::from(LOG_LIMIT_BYTES / 16 / crate::encryption::page_size(&conn)?);
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("dossier-checkpoint".into())
            .spawn(move || {
                let (lock, wake) = &*signal;
                let mut stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
                let mut wait = every;
                loop {
                    let (guard, _) = wake.wait_timeout(stopped, wait).unwrap_or_else(|p| p.into_inner());
                    stopped = guard;
                    // A busy database (a writer mid-commit) is fine: the next round catches up.
                    // The second column is the log's length in pages.
                    let log = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
                    let busy = log.is_ok_and(|pages| pages > busy_pages);
                    wait = if busy { BUSY_EVERY.min(every) } else { every };
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
