//! PII hygiene: names, document numbers, tax ids, emails, phone numbers (and secrets) never
//! reach stderr, error bodies, the report of refused import rows, the audit trail, the outbox's
//! errors or a log file. The journeys run through the real binary with distinctive values from
//! `fixtures/pii-hygiene.json`, and every place that must stay clean is scanned for every form
//! of every value; a leak is named by value label and place, never printed.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::fixture;

/// The seeded values: a label and every form the value may take.
struct Seeds(Vec<(String, Vec<String>)>);

impl Seeds {
    fn load(table: &Value) -> Self {
        let seeds = table["seeds"].as_array().unwrap().iter().map(|s| {
            let forms = s["forms"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_lowercase()).collect();
            (s["label"].as_str().unwrap().to_owned(), forms)
        });
        Self(seeds.collect())
    }

    /// The labels of the values found in `text`, whatever their letter case.
    /// Only the tax ids and document numbers, which views show masked.
    fn numbers(&self) -> Self {
        let numbers = self.0.iter().filter(|(label, _)| label.contains("document number") || label.contains("tax id"));
        Self(numbers.cloned().collect())
    }

    fn found_in(&self, text: &str) -> Vec<&str> {
        let text = text.to_lowercase();
        self.0
            .iter()
            .filter(|(_, forms)| forms.iter().any(|f| text.contains(f.as_str())))
            .map(|(l, _)| l.as_str())
            .collect()
    }
}

/// Everything that must stay clean, each with where it came from.
#[derive(Default)]
struct Scan {
    places: Vec<(String, String)>,
}

impl Scan {
    fn add(&mut self, place: impl Into<String>, text: impl Into<String>) {
        self.places.push((place.into(), text.into()));
    }

    /// Every (value label, place) where a seeded value shows.
    fn leaks(&self, seeds: &Seeds) -> Vec<String> {
        self.places
            .iter()
            .flat_map(|(place, text)| seeds.found_in(text).into_iter().map(move |label| format!("{label} in {place}")))
            .collect()
    }
}

/// The real binary on one data directory, with secrets kept out of the OS keyring.
struct Dossier {
    data: PathBuf,
    tmp: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Dossier {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dossier = Self { data: tmp.path().join("data"), tmp };
        let init = dossier.run_as("", &["init", "--admin", "admin"], None);
        assert_eq!(init.code, 0, "init: {}", init.stdout);
        let add = dossier.run_as("admin", &["user", "add", "clerk-7", "--role", "supervisor", "--role", "admin"], None);
        assert_eq!(add.code, 0, "user add: {}", add.stdout);
        dossier
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        self.run_as("clerk-7", args, stdin)
    }

    fn run_as(&self, user: &str, args: &[&str], stdin: Option<&str>) -> Run {
        let (code, stdout, stderr) = crate::cli::run_binary(&self.data, args, stdin, user);
        Run { code, stdout, stderr }
    }

    /// Runs a command that must succeed and returns its JSON; its stderr is scanned.
    fn ok(&self, scan: &mut Scan, args: &[&str], stdin: Option<&str>) -> Value {
        let run = self.run(args, stdin);
        scan.add(format!("stderr of `{}`", args[..2].join(" ")), run.stderr);
        assert_eq!(run.code, 0, "`{}` failed: {}", args.join(" "), run.stdout);
        serde_json::from_str(&run.stdout).unwrap_or(Value::Null)
    }
}

/// Files under the data directory that are logs: none are written today; any added later is
/// scanned here.
fn log_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().to_lowercase();
        if path.is_dir() {
            out.extend(log_files(&path));
        } else if name.ends_with(".log") || name.contains(".log.") || path.components().any(|c| c.as_os_str() == "logs")
        {
            out.push(path);
        }
    }
    out
}

/// A command of the fixture, and how it must end.
struct Step {
    name: String,
    args: Vec<String>,
    stdin: Option<String>,
    exit: i32,
    /// The error body's code, for a refused command.
    code: Option<String>,
}

/// The fixture's steps with their placeholders filled in.
fn steps<'a>(table: &'a Value, fill: &'a impl Fn(&str) -> String) -> impl Iterator<Item = Step> + 'a {
    table["steps"].as_array().unwrap().iter().map(move |step| {
        let args = step["args"].as_array().unwrap().iter().map(|a| fill(a.as_str().unwrap())).collect();
        let stdin = match &step["stdin"] {
            Value::Null => None,
            Value::String(s) if s.starts_with('@') => Some(table[&s[1..]].to_string()),
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        Step {
            name: step["name"].as_str().unwrap().to_owned(),
            args,
            stdin,
            exit: step["exit"].as_i64().unwrap() as i32,
            code: step["code"].as_str().map(str::to_owned),
        }
    })
}

/// The bad rows of an import, each holding seeded values where they do not fit, and one good row.
fn import_file(table: &Value) -> String {
    let base = fixture("import-rows.json")["base"].clone();
    let row = |set: &[(&str, &str)]| {
        let mut row: std::collections::BTreeMap<String, String> =
            base.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
        for (k, v) in set {
            row.insert((*k).into(), (*v).into());
        }
        row
    };
    let person = table["individual"]["person"].clone();
    let names =
        [("first_name", person["first_name"].as_str().unwrap()), ("last_name", person["last_name"].as_str().unwrap())];
    let rows = [
        row(&[
            names[0],
            names[1],
            ("ref_id", "PII-IMP-1"),
            ("email", "Zephyrine Quillfeather"),
            ("mobile", "+1 415 555 0187 x"),
        ]),
        row(&[
            names[0],
            names[1],
            ("ref_id", "PII-IMP-2"),
            ("tax_id", "529-71-43860"),
            ("document_number", "QX7742913?"),
        ]),
        row(&[
            names[0],
            names[1],
            ("ref_id", "PII-IMP-3"),
            ("date_of_birth", "Quillfeather"),
            ("address_street", "88 Larkspur Gulch"),
            ("address_country", "Zephyrine"),
        ]),
        row(&[
            ("ref_id", "PII-1"),
            names[0],
            names[1],
            ("email", "zephyrine.q@quillmail.example"),
            ("document_number", "QX7742913"),
        ]),
        row(&[
            names[0],
            names[1],
            ("ref_id", "PII-IMP-5"),
            ("email", "zephyrine.q@quillmail.example"),
            ("mobile", "+14155550187"),
            ("tax_id", "529-71-4386"),
            ("document_number", "QX7742913"),
            ("address_street", "88 Larkspur Gulch"),
        ]),
    ];
    let mut csv = crate::import::csv_file(&rows);
    csv.push_str("\"Zephyrine\",\"Quillfeather\"\n");
    csv
}

#[test]
fn the_scan_finds_every_form_of_every_seeded_value_whatever_its_case() {
    let table = fixture("pii-hygiene.json");
    let seeds = Seeds::load(&table);
    for (label, forms) in &seeds.0 {
        for form in forms {
            let text = format!("{{\"message\": \"something about {} here\"}}", form.to_uppercase());
            assert!(seeds.found_in(&text).contains(&label.as_str()), "the scan must find {label} in any letter case");
        }
    }
    assert!(seeds.found_in("customer_not_found: no customer with that id").is_empty());
    let mut scan = Scan::default();
    scan.add("a test", "zephyrine");
    assert_eq!(scan.leaks(&seeds), ["person first name in a test"]);
}

#[test]
fn personal_data_never_reaches_stderr_error_bodies_reports_the_audit_trail_or_logs() {
    let table = fixture("pii-hygiene.json");
    let seeds = Seeds::load(&table);
    let d = Dossier::new();
    let mut scan = Scan::default();

    // Providers first, so that every change below has outbox messages for the sync at the end.
    for provider in ["cybrid", "paxos", "qolo"] {
        d.ok(&mut scan, &["provider", "set", provider, "--base-url", "sandbox"], None);
    }
    let individual = d.ok(&mut scan, &["customer", "create", "--input", "-"], Some(&table["individual"].to_string()));
    let individual = individual["id"].as_str().unwrap().to_owned();
    let business = d.ok(&mut scan, &["customer", "create", "--input", "-"], Some(&table["business"].to_string()));
    let business = business["id"].as_str().unwrap().to_owned();
    let address =
        r#"{"kind": "mailing", "street_address": "PO Box 4386, Larkspur Gulch", "city": "Boise", "country": "US"}"#;
    d.ok(&mut scan, &["customer", "add-address", &business, "--input", "-"], Some(address));

    let tmp = d.tmp.path().display().to_string();
    let fill = |a: &str| a.replace("{individual}", &individual).replace("{business}", &business).replace("{tmp}", &tmp);
    for Step { name, args, stdin, exit, code } in steps(&table, &fill) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = d.run(&args, stdin.as_deref());
        assert_eq!(run.code, exit, "step '{name}' ends with exit {exit}: {}", run.stdout);
        if let Some(code) = code {
            let body: Value = serde_json::from_str(&run.stdout).unwrap();
            assert_eq!(body["code"], code.as_str(), "step '{name}'");
        }
        scan.add(format!("stderr of step '{name}'"), run.stderr);
        scan.add(format!("stdout of step '{name}'"), run.stdout);
    }
    d.ok(&mut scan, &["provider", "disable", "mbanq"], None);

    // The journey goes on: contacts verified, verified, activated, a control, a rejection.
    for kind in ["email", "mobile"] {
        d.ok(&mut scan, &["customer", "verify-contact", &individual, "--kind", kind, "--method", "code"], None);
    }
    d.ok(&mut scan, &["customer", "verify", &individual, "--level", "full", "--note", "passport seen"], None);
    d.ok(&mut scan, &["customer", "activate", &individual], None);
    let control = ["customer", "add-control", &individual, "--type", "dormant", "--set-by", "firm"];
    d.ok(&mut scan, &[&control[..], &["--reason-code", "INACTIVITY", "--reason", "no activity"]].concat(), None);
    d.ok(&mut scan, &["customer", "reject", &business, "--reason", "documents incomplete"], None);

    // An import whose bad rows carry the values where they do not fit.
    let file = d.tmp.path().join("rows.csv");
    std::fs::write(&file, import_file(&table)).unwrap();
    let run = d.run(&["import", "customers", file.to_str().unwrap()], None);
    assert_eq!(run.code, 5, "bad rows are rejected, the good one imported: {}", run.stdout);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((report["created"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(5)), "{report}");
    scan.add("the import report", run.stdout);
    scan.add("stderr of the import", run.stderr);
    let run = d.run(&["import", "customers", "-"], Some("ref_id,Zephyrine\n\"PII-9\",\"Quillfeather\"\n"));
    assert_eq!(run.code, 2, "{}", run.stdout);
    scan.add("the error body of an import with an unknown column", run.stdout);

    // Sync to the built-in sandbox, and what it reports.
    for args in [&["sync", "run", "--once"][..], &["sync", "status"], &["sync", "list", "--limit", "500"]] {
        let out = d.ok(&mut scan, args, None);
        scan.add(format!("the output of `{}`", args.join(" ")), out.to_string());
    }

    // Views mask tax ids and document numbers: what shows customers carries neither in clear.
    let mut views = Scan::default();
    for args in [
        &["customer", "show", &individual][..],
        &["customer", "show", &business],
        &["customer", "list"],
        &["queue", "list"],
        &["queue", "list", "--search", "Quillfeather"],
    ] {
        let out = d.ok(&mut scan, args, None);
        views.add(format!("the output of `{}`", args[..2].join(" ")), out.to_string());
    }
    let numbers = views.leaks(&seeds.numbers());
    assert!(numbers.is_empty(), "views show numbers in clear:\n{}", numbers.join("\n"));
    let revealed = d.ok(&mut scan, &["customer", "reveal", &individual, "--field", "tax_id"], None);
    assert_eq!(seeds.found_in(revealed["value"].as_str().unwrap()), ["tax id"], "reveal shows it in clear");

    // What records the journeys: the audit trail, listed and exported.
    let audit = d.ok(&mut scan, &["audit", "list", "--limit", "500"], None);
    assert!(audit["items"].as_array().unwrap().len() > 15, "the journeys were audited: {audit}");
    scan.add("the audit trail", audit.to_string());
    for format in ["csv", "jsonl"] {
        let run = d.run(&["export", "audit", "--format", format], None);
        assert_eq!(run.code, 0);
        scan.add(format!("the audit export ({format})"), run.stdout);
        scan.add(format!("stderr of the audit export ({format})"), run.stderr);
    }
    for log in log_files(&d.data) {
        let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
        scan.add(format!("the log file {}", log.strip_prefix(&d.data).unwrap().display()), text);
    }

    let leaks = scan.leaks(&seeds);
    assert!(leaks.is_empty(), "personal data leaked ({} places scanned):\n{}", scan.places.len(), leaks.join("\n"));
}

#[test]
fn debug_of_personal_values_and_secrets_redacts_them() {
    use dossier_core::*;
    let table = fixture("pii-hygiene.json");
    let seeds = Seeds::load(&table);
    let shown = [
        format!("{:?}", Text::parse("Zephyrine Quillfeather", 100).unwrap()),
        format!("{:?}", Email::parse("zephyrine.q@quillmail.example").unwrap()),
        format!("{:?}", PhoneNumber::parse("+1 415 555 0187").unwrap()),
        format!("{:?}", TaxIdNumber::parse(TaxIdType::Ssn, "529-71-4386").unwrap()),
        format!("{:?}", TaxIdNumber::parse(TaxIdType::Ein, "87-6543219").unwrap()),
        format!("{:?}", DocumentNumber::parse("QX7742913").unwrap()),
        format!("{:?}", dossier_app::UserName::parse("zephyrine.quillfeather").unwrap()),
        format!(
            "{:?}",
            dossier_sync::ProviderConfig {
                provider: Provider::Paxos,
                base_url: "http://127.0.0.1:1".into(),
                client_id: "dossier".into(),
                client_secret: "sk-vantablack-7781".into(),
                tenant: None,
            }
        ),
        format!(
            "{:?}",
            dossier_app::sync::ProviderInput {
                name: Some("paxos".into()),
                client_secret: Some("sk-vantablack-7781".into()),
                ..Default::default()
            }
        ),
        format!(
            "{:?}",
            dossier_store::DeviceKeyRow {
                secret_key: *b"sk-vantablack-7781..............",
                public_key: [0; 32],
                created_at: crate::support::NOW,
            }
        ),
    ];
    for text in &shown {
        assert!(seeds.found_in(text).is_empty(), "Debug shows {:?}: {text}", seeds.found_in(text));
        assert!(text.contains("redacted") || text.contains("chars>"), "Debug says it redacted: {text}");
    }
}
