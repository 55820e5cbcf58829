//! How domain values are written to and read from columns: times as fixed-width RFC 3339 UTC
//! text (so text order is time order), dates as YYYY-MM-DD, ids as 16-byte blobs.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::{Result, StoreError};

const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

pub fn timestamp(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC).format(TIMESTAMP).expect("a UTC time always formats")
}

/// Appends the timestamp's text to `out`, with no allocation of its own.
pub fn write_timestamp(at: OffsetDateTime, out: &mut Vec<u8>) {
    at.to_offset(UtcOffset::UTC).format_into(out, TIMESTAMP).expect("a UTC time always formats");
}

pub fn parse_timestamp(text: &str, table: &'static str, column: &'static str) -> Result<OffsetDateTime> {
    PrimitiveDateTime::parse(text, TIMESTAMP)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|_| StoreError::Corrupt { table, column })
}

pub fn date(d: Date) -> String {
    dossier_core::format_date(d)
}

pub fn parse_date(text: &str, table: &'static str, column: &'static str) -> Result<Date> {
    dossier_core::parse_date(text).map_err(|_| StoreError::Corrupt { table, column })
}

/// Maps a parse failure of a stored value to [`StoreError::Corrupt`] naming the column.
pub trait OrCorrupt<T> {
    fn or_corrupt(self, table: &'static str, column: &'static str) -> Result<T>;
}

impl<T, E> OrCorrupt<T> for std::result::Result<T, E> {
    fn or_corrupt(self, table: &'static str, column: &'static str) -> Result<T> {
        self.map_err(|_| StoreError::Corrupt { table, column })
    }
}

impl<T> OrCorrupt<T> for Option<T> {
    fn or_corrupt(self, table: &'static str, column: &'static str) -> Result<T> {
        self.ok_or(StoreError::Corrupt { table, column })
    }
}

/// A `LIMIT` clause with the number written out. Bound as a parameter instead, it makes SQLite
/// prepare the statement again on every run (the planner reads the bound limit), which cost a
/// tenth of a command's time; a page size is one of a few numbers, so the statement cache still
/// holds each query once per size.
pub(crate) fn limit(n: usize) -> String {
    format!(" LIMIT {n}")
}
