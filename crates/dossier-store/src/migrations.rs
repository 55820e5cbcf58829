//! The embedded migrations. The list must match the files in `migrations/` one for one (a test
//! checks it); files are append-only and a shipped one is never edited.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::{Result, StoreError};

/// Every migration, in order, as (file name, SQL).
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_customers_and_audit.sql", include_str!("../../../migrations/0001_customers_and_audit.sql")),
    ("0002_kyc_edd_cases.sql", include_str!("../../../migrations/0002_kyc_edd_cases.sql")),
    ("0003_sync_outbox.sql", include_str!("../../../migrations/0003_sync_outbox.sql")),
    ("0004_customer_search.sql", include_str!("../../../migrations/0004_customer_search.sql")),
    ("0005_outbox_by_customer.sql", include_str!("../../../migrations/0005_outbox_by_customer.sql")),
    ("0006_dashboard_counts.sql", include_str!("../../../migrations/0006_dashboard_counts.sql")),
    ("0007_audit_chain.sql", include_str!("../../../migrations/0007_audit_chain.sql")),
    ("0008_users.sql", include_str!("../../../migrations/0008_users.sql")),
    ("0009_approvals.sql", include_str!("../../../migrations/0009_approvals.sql")),
    ("0010_device_key.sql", include_str!("../../../migrations/0010_device_key.sql")),
    ("0011_walk_in_page_order.sql", include_str!("../../../migrations/0011_walk_in_page_order.sql")),
    (
        "0012_search_index_once_per_transaction.sql",
        include_str!("../../../migrations/0012_search_index_once_per_transaction.sql"),
    ),
    (
        "0013_one_outbox_index_by_customer.sql",
        include_str!("../../../migrations/0013_one_outbox_index_by_customer.sql"),
    ),
    ("0014_drop_the_unused_due_index.sql", include_str!("../../../migrations/0014_drop_the_unused_due_index.sql")),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|(_, sql)| M::up(sql)).collect())
}

/// The schema version recorded in the database (`PRAGMA user_version`).
pub fn schema_version(conn: &Connection) -> Result<usize> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    Ok(usize::try_from(version).unwrap_or(usize::MAX))
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found = schema_version(conn)?;
    if found > MIGRATIONS.len() {
        return Err(StoreError::TooNew { found, supported: MIGRATIONS.len() });
    }
    migrations().to_latest(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_validate() {
        migrations().validate().expect("migrations apply cleanly to an empty database");
    }

    #[test]
    fn the_embedded_list_matches_the_migrations_folder() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
        let mut on_disk: Vec<(String, String)> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .map(|entry| {
                let path = entry.expect("entry").path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).expect("readable"))
            })
            .collect();
        on_disk.sort();
        let names = |list: &[(String, String)]| list.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        let embedded: Vec<(String, String)> =
            MIGRATIONS.iter().map(|(name, sql)| (name.to_string(), sql.to_string())).collect();
        assert_eq!(names(&embedded), names(&on_disk), "every file in migrations/ is embedded, in order");
        for ((name, sql), (_, disk)) in embedded.iter().zip(&on_disk) {
            assert!(sql == disk, "{name} is embedded unchanged");
        }
        for (i, (name, sql)) in on_disk.iter().enumerate() {
            assert!(name.starts_with(&format!("{:04}_", i + 1)), "{name} is numbered in sequence");
            assert!(sql.starts_with("-- "), "{name} opens with a comment saying why");
        }
    }
}
