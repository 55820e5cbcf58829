//! New customers in the CSV import layout, made like the generator's (the same people,
//! businesses, documents and proportions, from the same seeded choices) but not yet in any
//! database: the file `dossier dev bench` imports into a generated data directory. Each row is
//! complete and its email and mobile number are marked verified, as a firm migrating from a
//! spreadsheet of onboarded customers would export them, so the customers can be verified,
//! activated and taken through EDD right after the import.

use std::io::Write;

use dossier_core::*;
use time::{Duration, OffsetDateTime};

use super::request::{business_input, person_input};
use super::seeded::{self, SeededIds};
use super::story::{Plan, World};
use crate::convert::{self, Ctx};
use crate::customer_csv::{CUSTOMER_COLUMNS, CustomerRow};
use crate::error::{Error, Problem, Result};

/// The seed stream of prospects, apart from the generator's customers of the same seed.
const STREAM: u64 = 0x5052_4f53_5045_4354;

fn write_failed(e: impl std::fmt::Display) -> Error {
    Error::Unexpected(Problem::new("bench_failed", format!("could not write the import file: {e}")))
}

/// Writes a header and `count` prospect rows to `out`; row `i` has ref id `{prefix}{i:07}`
/// (1-based). One in seven is a business, as in the generator. The same seed, count, prefix
/// and `now` give the same file.
pub(crate) fn write_prospects(
    out: impl Write,
    seed: u64,
    count: usize,
    prefix: &str,
    policy: Policy,
    now: OffsetDateTime,
) -> Result<()> {
    let mut world = World::new(seeded::choices(seed ^ STREAM), SeededIds::new(seed ^ STREAM), policy, now);
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(CUSTOMER_COLUMNS).map_err(write_failed)?;
    for i in 0..count {
        let ref_id = format!("{prefix}{:07}", i + 1);
        // Captured over the last day, oldest first.
        let created_at = now - Duration::DAY + Duration::seconds(86_000 * i as i64 / count.max(1) as i64);
        let input = if world.chance(0.15) {
            business_input(&mut world, &ref_id, created_at, Plan::Verified, &[]).0
        } else {
            person_input(&mut world, &ref_id, created_at, Plan::Verified)
        };
        let id = CustomerId::from_uuid(world.ids.at(created_at));
        let ctx = Ctx { ids: &world.ids, today: created_at.date() };
        let customer = convert::new_customer(&input, id, created_at, &ctx).map_err(|_| {
            Error::Unexpected(Problem::new("bench_failed", "the generator made an invalid prospect: report this"))
        })?;
        let mut row = CustomerRow::of(&customer);
        if !row.email.is_empty() {
            row.email_verified_method = "code".into();
        }
        if !row.mobile.is_empty() {
            row.mobile_verified_method = "code".into();
        }
        csv.write_record(row.cells()).map_err(write_failed)?;
    }
    csv.flush().map_err(write_failed)?;
    Ok(())
}
