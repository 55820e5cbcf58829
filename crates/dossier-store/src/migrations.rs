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
    (
        "0015_no_unique_index_on_the_idempotency_key.sql",
        include_str!("../../../migrations/0015_no_unique_index_on_the_idempotency_key.sql"),
    ),
    ("0016_in_flight_leases.sql", include_str!("../../../migrations/0016_in_flight_leases.sql")),
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

    /// Migration 0015 makes the outbox table again: a database with messages keeps every one,
    /// with its sequence number, and the next message follows the last.
    #[test]
    fn the_outbox_keeps_its_messages_when_its_key_index_goes() {
        let mut conn = Connection::open_in_memory().unwrap();
        Migrations::new(MIGRATIONS[..14].iter().map(|(_, sql)| M::up(sql)).collect()).to_latest(&mut conn).unwrap();
        let insert = "INSERT INTO outbox (seq, id, provider, operation, aggregate_id, payload_version, payload,
                          idempotency_key, status, attempts, maybe_sent, next_attempt_at, last_error, remote_id,
                          created_at, updated_at)
                      VALUES (?1, ?2, 'paxos', 'customer.create', x'01', 1, '{}', ?3, ?4, 2, 1, 't', 'e', 'r', 'c', 'u')";
        conn.execute(insert, rusqlite::params![3, vec![3u8; 16], "k3", "done"]).unwrap();
        conn.execute(insert, rusqlite::params![7, vec![7u8; 16], "k7", "pending"]).unwrap();
        let rows = |conn: &Connection| -> Vec<(i64, String, String, i64, i64, String)> {
            let mut stmt = conn
                .prepare(
                    "SELECT seq, idempotency_key, status, attempts, maybe_sent, last_error FROM outbox ORDER BY seq",
                )
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let before = rows(&conn);
        migrate(&mut conn).unwrap();
        assert_eq!(rows(&conn), before);
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'outbox' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(indexes, ["outbox_by_customer", "outbox_by_status", "outbox_leases", "sqlite_autoindex_outbox_1"]);
        conn.execute(
            "INSERT INTO outbox (id, provider, operation, aggregate_id, payload_version, payload, idempotency_key,
                                 status, next_attempt_at, created_at, updated_at)
             VALUES (x'09', 'paxos', 'customer.create', x'01', 1, '{}', 'k9', 'pending', 't', 'c', 'u')",
            [],
        )
        .unwrap();
        assert_eq!(conn.last_insert_rowid(), 8, "the next message follows the last");
        assert!(
            conn.execute(insert, rusqlite::params![10, vec![3u8; 16], "k10", "pending"]).is_err(),
            "a message's id is still unique"
        );
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
