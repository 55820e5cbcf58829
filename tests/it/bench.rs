//! `dossier dev bench` at a tiny size through the CLI: the figures `make bench` reads are all
//! there and make sense, the data directory keeps what the run made, and bad counts or a used
//! data directory are refused before anything is written. Timings are never asserted.

use serde_json::Value;

fn bench(dir: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    let ctx = dossier_cli::Context { quiet_progress: true, ..Default::default() };
    let mut args = vec!["dossier", "--data-dir", dir.to_str().unwrap(), "dev", "bench"];
    args.extend_from_slice(extra);
    let out = dossier_cli::run(args, &ctx);
    let value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.stdout));
    (out.exit_code, value)
}

const TINY: &[&str] =
    &["--customers", "300", "--seed", "3", "--samples", "20", "--import-rows", "100", "--queue-pages", "6", "--json"];

fn number(report: &Value, key: &str) -> f64 {
    report[key].as_f64().unwrap_or_else(|| panic!("{key} is missing or not a number: {report}"))
}

#[test]
fn a_tiny_bench_reports_every_figure_make_bench_reads() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, report) = bench(&data, TINY);
    assert_eq!(code, 0, "{report}");

    for key in [
        "command_p99_us",
        "raw_commit_p99_us",
        "queue_page_p99_us",
        "raw_keyset_p99_us",
        "import_rows_per_s",
        "raw_insert_rows_per_s",
        "raw_flat_insert_rows_per_s",
        "import_cpu_s",
        "raw_insert_cpu_s",
        "peak_rss_mb",
        "drain_ops_per_s",
        "simulator_ops_per_s",
        "drain_cpu_us_per_op",
        "simulator_cpu_us_per_op",
        "db_bytes_per_customer",
    ] {
        assert!(number(&report, key) > 0.0, "{key} should be positive: {report}");
    }
    for (p50, p99) in [
        ("command_p50_us", "command_p99_us"),
        ("raw_commit_p50_us", "raw_commit_p99_us"),
        ("queue_page_p50_us", "queue_page_p99_us"),
        ("raw_keyset_p50_us", "raw_keyset_p99_us"),
    ] {
        assert!(number(&report, p50) <= number(&report, p99), "{p50} above {p99}: {report}");
    }
    assert_eq!(report["customers"], 300);
    for command in ["verify", "activate", "open_edd", "decide_edd", "approve_edd"] {
        assert_eq!(report["commands"][command]["samples"], 20, "{command}: {report}");
    }
    // One timed raw commit for every timed command (paid in blocks).
    assert_eq!(report["raw_commit"]["samples"], 100);
    let queue = report["queue"].as_array().unwrap();
    assert_eq!(queue.len(), 14, "one entry per filter");
    assert!(queue.iter().all(|f| f["first_page"]["samples"] == 2), "{queue:?}");
    assert_eq!(report["import_rows"], 100);
    assert_eq!(report["import_created"], 100, "every generated row is a valid new customer");
    // The baseline stores what the import stored: a customer, its party, address, two contacts,
    // document, tax detail, due diligence and risk assessment, an audit event per change and an
    // outbox message per provider (see tests/it/import.rs for the row-by-row check).
    let table_rows = number(&report, "raw_insert_table_rows_per_customer");
    assert!((14.0..20.0).contains(&table_rows), "rows per customer: {report}");
    let drained = report["drain_ops"].as_u64().unwrap() + report["drain_needs_attention"].as_u64().unwrap();
    assert!(drained >= 4 * 100, "each imported customer was sent to the four providers: {report}");
    // The capacity run before the drain sends the creates the drain is about to send, so it
    // meets the refusals the drain meets; the run after it sends delivered ones. A replay the
    // simulator took for a duplicate would be refused on top of those.
    assert!(
        report["simulator_failed"].as_u64().unwrap() <= report["drain_needs_attention"].as_u64().unwrap(),
        "the replayed messages are new to the simulator: {report}"
    );
    assert!(number(&report, "simulator_ops_per_s_before") > 0.0, "{report}");
    assert!(number(&report, "simulator_ops_per_s_after") > 0.0, "{report}");
    assert_eq!(report["simulator_in_process"], true, "{report}");
    let workloads: Vec<&str> = report["rss_mb"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(workloads, ["commands", "drain", "generate", "import", "queue", "simulator"]);
    let rises = report["rss_growth_mb"].as_object().unwrap();
    assert_eq!(rises.keys().map(String::as_str).collect::<Vec<_>>(), workloads);
    for (workload, rise) in rises {
        let rise = rise.as_f64().unwrap();
        assert!(rise >= 0.0 && rise <= number(&report["rss_mb"], workload), "{workload} rose {rise} MB: {report}");
    }
    let dossiers = ["commands", "drain", "generate", "import", "queue"].map(|w| report["rss_mb"][w].as_f64().unwrap());
    assert_eq!(
        number(&report, "peak_rss_mb"),
        dossiers.into_iter().fold(0.0, f64::max),
        "the capacity run is not Dossier's"
    );

    // The data directory keeps what the run made, and none of the raw baselines' tables.
    assert!(data.join("bench-import.csv").exists());
    let passphrase = dossier_app::Passphrase::new(dossier_app::bench::SCRATCH_PASSPHRASE.to_owned());
    // The commands stored only the derived values that changed (an index is rewritten for each
    // column an UPDATE names): every customer's still recompute to what is stored.
    {
        use std::sync::Arc;
        let unlock = dossier_app::Unlock::Passphrase(&passphrase);
        let app = dossier_app::Dossier::open_with(
            &data,
            unlock,
            Arc::new(dossier_app::SystemClock),
            Arc::new(dossier_app::UuidV7),
        )
        .unwrap();
        let actor = dossier_app::Actor::new(dossier_app::UserName::parse("checker").unwrap(), dossier_app::Role::ALL);
        let check = app.check_derived(&actor).unwrap();
        assert_eq!((check.customers_checked, check.mismatched), (400, 0), "{:?}", check.mismatches);
    }
    let conn =
        dossier_store::connect(&data.join("dossier.db"), &crate::support::key_bytes(&data, &passphrase)).unwrap();
    let customers: i64 = conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0)).unwrap();
    assert_eq!(customers, 400);
    let scratch: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'bench_raw%'", [], |r| r.get(0)).unwrap();
    assert_eq!(scratch, 0);

    // A data directory that has customers already is refused, and nothing is written to it.
    let (code, body) = bench(&data, TINY);
    assert_eq!((code, body["code"].as_str()), (3, Some("data_dir_not_empty")), "{body}");
    let after: i64 = conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0)).unwrap();
    assert_eq!(after, 400);
}

/// `--simulator URL`: the drain and the capacity run go to simulators another process serves
/// (here the tests' own), which then hold the records, not the bench's process.
#[test]
fn the_drain_can_go_to_simulators_served_elsewhere() {
    let sim = crate::sync::Sim::start("", std::time::Duration::from_secs(3600));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = format!("{}/", sim.url);
    let mut args = TINY.to_vec();
    args.extend_from_slice(&["--simulator", &url]);
    let (code, report) = bench(&data, &args);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["simulator_in_process"], false, "{report}");
    let drained = report["drain_ops"].as_u64().unwrap() + report["drain_needs_attention"].as_u64().unwrap();
    assert!(drained >= 4 * 100, "each imported customer was sent to the four providers: {report}");
    assert!(number(&report, "simulator_ops_per_s") > 0.0, "{report}");
    assert!(
        report["simulator_failed"].as_u64().unwrap() <= report["drain_needs_attention"].as_u64().unwrap(),
        "{report}"
    );
    // The tests' simulators took the customers: the imported ones, then the capacity run's.
    let stats = sim.admin(reqwest::Method::GET, "/_sim/stats", None);
    let created = stats["requests"]["paxos"]["POST /v2/identity/identities"].as_u64().unwrap_or(0);
    assert!(created >= 100, "the imported customers reached these simulators: {stats}");
}

#[test]
fn counts_out_of_range_are_refused_before_anything_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (args, field) in [
        (&["--customers", "0"][..], "customers"),
        (&["--customers", "10", "--import-rows", "10", "--samples", "11"][..], "samples"),
        (&["--customers", "10", "--queue-pages", "2"][..], "queue_pages"),
        (&["--customers", "10", "--simulator", "127.0.0.1:9"][..], "simulator"),
    ] {
        let (code, body) = bench(&data, args);
        assert_eq!((code, body["code"].as_str()), (2, Some("invalid_input")), "{args:?}: {body}");
        assert_eq!(body["reasons"][0]["field"], field, "{body}");
    }
    assert!(!data.join("dossier.db").exists(), "nothing was created");
}
