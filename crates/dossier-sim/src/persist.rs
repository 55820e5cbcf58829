//! The state file of a persistent simulator: every provider's records and the position of
//! their id streams, as versioned JSON, so a sandbox keeps the ids it handed out across
//! restarts. Tokens, faults and stats are not kept: clients sign in again, and the others are
//! per run.
//!
//! A saver task writes the file after the records change: at once after a quiet spell, and at
//! most once per [`SAVE_DELAY`] during a burst, each write carrying every change since the last.
//! Each write goes to a temporary file in the same directory, is synced, and is renamed over
//! the old one, so a crash leaves the old file or the new one, never a torn one.
//! [`SimHandle::close`](crate::SimHandle::close) saves a last time.
//!
//! The file is `{"version": 1, "cybrid": …, "paxos": …, "qolo": …, "mbanq": …}`. Each provider's
//! part is its `Records` as serde derives it (indexes are left out and rebuilt on load), so
//! renaming a stored field changes the format and needs a new [`VERSION`].

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::sim::{AllRecords, Sim, Tracked, lock};
use crate::{cybrid, mbanq, paxos, qolo};

/// The format this simulator writes and the only one it reads.
pub(crate) const VERSION: u64 = 1;

/// The least time between the starts of two writes, so a burst of requests costs a few writes
/// rather than one each. A response can be acknowledged up to about this long (plus one write)
/// before its record is on disk.
pub(crate) const SAVE_DELAY: Duration = Duration::from_millis(100);

/// How long the saver waits before trying again after a failed write (a full disk, say), when
/// no new change wakes it sooner.
const RETRY_DELAY: Duration = Duration::from_secs(2);

/// The parts of a version-1 file that are read back. `version` is checked first, on its own,
/// so a file from a newer simulator is refused for its version rather than for its contents.
#[derive(Deserialize)]
struct FileV1 {
    cybrid: cybrid::Records,
    paxos: paxos::Records,
    qolo: qolo::Records,
    mbanq: mbanq::Records,
}

#[derive(Deserialize)]
struct Header {
    version: u64,
}

/// The state file of one simulator. One simulator per file: two writing the same file would
/// each overwrite the other's records.
pub(crate) struct StateFile {
    path: PathBuf,
    temp: PathBuf,
    seal: Option<Arc<dyn crate::StateSeal>>,
    written: Mutex<Written>,
}

/// What the file on disk holds, one serialized part per provider, so a save re-serializes only
/// the providers that changed and skips the write when nothing did.
struct Written {
    parts: [String; 4],
    /// False until the first write, and after a failed one, so the next save writes even if no
    /// record changed in between.
    on_disk: bool,
}

impl StateFile {
    /// Names the file; refuses a path that does not end in a file name.
    pub fn new(path: PathBuf, seal: Option<Arc<dyn crate::StateSeal>>) -> io::Result<Self> {
        let Some(name) = path.file_name() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the sandbox state file {} must be a path to a file", path.display()),
            ));
        };
        let mut temp_name = name.to_os_string();
        temp_name.push(".tmp");
        let temp = path.with_file_name(temp_name);
        Ok(Self { path, temp, seal, written: Mutex::new(Written { parts: Default::default(), on_disk: false }) })
    }

    /// Reads the records a previous run saved; `None` when there is no file yet. A file that
    /// cannot be read or understood is an error, and it is left as it is. Errors name the file
    /// and where it went wrong, never what it contains: it holds customers' personal data.
    pub fn load(&self) -> io::Result<Option<AllRecords>> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot read the sandbox state file {}: {e}", self.path.display()),
                ));
            }
        };
        let bytes = match &self.seal {
            Some(seal) => seal.open(&bytes).map_err(|e| self.unreadable(&format!("it cannot be decrypted ({e})")))?,
            None => bytes,
        };
        let header: Header = serde_json::from_slice(&bytes)
            .map_err(|e| self.unreadable(&format!("it is not a sandbox state file ({})", position(&e))))?;
        if header.version != VERSION {
            return Err(self.unreadable(&format!(
                "it has format version {}, and this simulator reads only version {VERSION}; use the \
                 simulator that wrote it",
                header.version
            )));
        }
        let file: FileV1 = serde_json::from_slice(&bytes)
            .map_err(|e| self.unreadable(&format!("it is damaged ({})", position(&e))))?;
        let mut records = AllRecords { cybrid: file.cybrid, paxos: file.paxos, qolo: file.qolo, mbanq: file.mbanq };
        records
            .cybrid
            .reindex()
            .and_then(|()| records.paxos.reindex())
            .and_then(|()| records.qolo.reindex())
            .and_then(|()| records.mbanq.reindex())
            .map_err(|what| self.unreadable(&format!("it is inconsistent: {what}")))?;
        Ok(Some(records))
    }

    fn unreadable(&self, why: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "cannot load the sandbox state file {}: {why}; it was left untouched: move it aside to \
                 start an empty sandbox",
                self.path.display()
            ),
        )
    }

    /// Writes the records if they changed since the last save. Each provider is locked only
    /// while its part is serialized, never across the write.
    pub fn save(&self, sim: &Sim) -> io::Result<()> {
        let mut written = lock(&self.written);
        let fresh = [part(&sim.cybrid), part(&sim.paxos), part(&sim.qolo), part(&sim.mbanq)];
        let mut changed = !written.on_disk;
        let mut failure = None;
        for (old, new) in written.parts.iter_mut().zip(fresh) {
            match new {
                Some(Ok(text)) if *old != text => {
                    *old = text;
                    changed = true;
                }
                Some(Err(e)) => failure = Some(e),
                Some(Ok(_)) | None => {}
            }
        }
        if let Some(e) = failure {
            return Err(io::Error::other(format!(
                "cannot save the sandbox state file {}: the records could not be serialized ({})",
                self.path.display(),
                position(&e)
            )));
        }
        if !changed {
            return Ok(());
        }
        written.on_disk = false;
        let [cybrid, paxos, qolo, mbanq] = &written.parts;
        let text = format!(
            "{{\"version\":{VERSION},\"cybrid\":{cybrid},\"paxos\":{paxos},\"qolo\":{qolo},\"mbanq\":{mbanq}}}\n"
        );
        let bytes = match &self.seal {
            Some(seal) => seal.seal(text.as_bytes())?,
            None => text.into_bytes(),
        };
        write_atomically(&self.path, &self.temp, &bytes).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot save the sandbox state file {}: {e}", self.path.display()))
        })?;
        written.on_disk = true;
        Ok(())
    }
}

/// One provider's records as JSON, if they may have changed since the last save. If they
/// cannot be serialized they are marked changed again, so the next save retries them.
fn part<T: Serialize>(tracked: &Tracked<T>) -> Option<serde_json::Result<String>> {
    let result = tracked.if_changed(serde_json::to_string)?;
    if result.is_err() {
        tracked.mark_changed();
    }
    Some(result)
}

/// Where a JSON error is, without the message: serde's messages can quote the values they
/// choke on, and those are personal data.
fn position(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "a read error",
        serde_json::error::Category::Syntax => "a syntax error",
        serde_json::error::Category::Data => "an unexpected value",
        serde_json::error::Category::Eof => "it ends early",
    };
    format!("{what} at line {}, column {}", e.line(), e.column())
}

/// Writes `bytes` to `temp`, syncs it, and renames it over `path`, then syncs the directory so
/// the rename itself survives a power cut. A crash at any point leaves `path` whole: the old
/// contents or the new. On Unix the file is created readable by its owner only.
fn write_atomically(path: &Path, temp: &Path, bytes: &[u8]) -> io::Result<()> {
    // A temporary file left by a crash is replaced; `create_new` then guarantees the mode below
    // applies (an existing file would keep its own).
    match fs::remove_file(temp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(temp, path)) {
        let _ = fs::remove_file(temp);
        return Err(e);
    }
    sync_directory(path)
}

#[cfg(unix)]
fn sync_directory(path: &Path) -> io::Result<()> {
    let directory = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::File::open(directory)?.sync_all()
}

/// Windows offers no directory sync through std; the rename is already flushed by the system.
#[cfg(not(unix))]
fn sync_directory(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// Saves on a blocking thread, so the write never stalls the threads serving requests.
pub(crate) async fn save_off_thread(sim: &Arc<Sim>, file: &Arc<StateFile>) -> io::Result<()> {
    let (sim, file) = (sim.clone(), file.clone());
    tokio::task::spawn_blocking(move || file.save(&sim))
        .await
        .unwrap_or_else(|e| Err(io::Error::other(format!("the sandbox state save did not finish: {e}"))))
}

/// The saver task: after a change it writes at once, unless the last write started less than
/// [`SAVE_DELAY`] ago, in which case it waits out the rest, and the changes of that wait go into
/// the same write. When `stop` fires (or its sender is dropped) it saves a last time and
/// returns that save's result.
pub(crate) async fn run_saver(sim: Arc<Sim>, file: Arc<StateFile>, mut stop: oneshot::Receiver<()>) -> io::Result<()> {
    let mut failing = false;
    // `spawn` has just written the file.
    let mut last_write = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            () = sim.changed.notified() => {}
            () = tokio::time::sleep(RETRY_DELAY), if failing => {}
        }
        tokio::select! {
            _ = &mut stop => break,
            () = tokio::time::sleep_until(last_write + SAVE_DELAY) => {}
        }
        last_write = tokio::time::Instant::now();
        failing = save_off_thread(&sim, &file).await.is_err();
    }
    save_off_thread(&sim, &file).await
}

/// Helpers for stored fields whose types have no serde form of their own (or none we want to
/// depend on): times as RFC 3339 text, dates as `[year, month, day]`, shared strings as text.
pub(crate) mod fields {
    use std::sync::Arc;

    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use time::format_description::well_known::Rfc3339;
    use time::{Date, Month, OffsetDateTime};

    /// `OffsetDateTime` as RFC 3339 with every digit it has, so a reload compares equal.
    pub mod time_rfc3339 {
        use super::*;

        pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
            t.format(&Rfc3339).map_err(serde::ser::Error::custom)?.serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
            let text = String::deserialize(d)?;
            OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| D::Error::custom("a time must be RFC 3339"))
        }
    }

    pub mod time_rfc3339_option {
        use super::*;

        pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_some(&t.format(&Rfc3339).map_err(serde::ser::Error::custom)?),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|text| OffsetDateTime::parse(&text, &Rfc3339))
                .transpose()
                .map_err(|_| D::Error::custom("a time must be RFC 3339"))
        }
    }

    fn to_parts(date: &Date) -> (i32, u8, u8) {
        (date.year(), u8::from(date.month()), date.day())
    }

    fn from_parts<E: serde::de::Error>((year, month, day): (i32, u8, u8)) -> Result<Date, E> {
        Month::try_from(month)
            .ok()
            .and_then(|month| Date::from_calendar_date(year, month, day).ok())
            .ok_or_else(|| E::custom("a date must be a valid [year, month, day]"))
    }

    /// `Date` as `[year, month, day]`, the way Mbanq shows dates.
    pub mod date {
        use super::*;

        pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
            to_parts(date).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
            from_parts(Deserialize::deserialize(d)?)
        }
    }

    pub mod date_option {
        use super::*;

        pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
            date.as_ref().map(to_parts).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
            Option::<(i32, u8, u8)>::deserialize(d)?.map(from_parts).transpose()
        }
    }

    /// `Arc<str>` as text (serde's own form needs its `rc` feature).
    pub mod arc_str {
        use super::*;

        pub fn serialize<S: Serializer>(text: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(text)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
            Ok(Arc::from(String::deserialize(d)?))
        }
    }

    #[cfg(test)]
    mod tests {
        use serde::{Deserialize, Serialize};
        use time::{Date, Month, OffsetDateTime};

        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Sample {
            #[serde(with = "super::time_rfc3339")]
            at: OffsetDateTime,
            #[serde(with = "super::time_rfc3339_option")]
            maybe_at: Option<OffsetDateTime>,
            #[serde(with = "super::date")]
            on: Date,
            #[serde(with = "super::date_option")]
            maybe_on: Option<Date>,
        }

        #[test]
        fn times_and_dates_come_back_exactly() {
            let at = OffsetDateTime::from_unix_timestamp_nanos(1_790_000_000_123_456_789).unwrap();
            for sample in [
                Sample { at, maybe_at: Some(at), on: Date::MIN, maybe_on: Some(Date::MAX) },
                Sample {
                    at,
                    maybe_at: None,
                    on: Date::from_calendar_date(2024, Month::February, 29).unwrap(),
                    maybe_on: None,
                },
            ] {
                let text = serde_json::to_string(&sample).unwrap();
                assert_eq!(serde_json::from_str::<Sample>(&text).unwrap(), sample, "{text}");
            }
        }

        #[test]
        fn an_impossible_date_is_refused() {
            let text = r#"{"at":"2026-01-01T00:00:00Z","maybe_at":null,"on":[2023,2,29],"maybe_on":null}"#;
            assert!(serde_json::from_str::<Sample>(text).is_err());
        }
    }
}
