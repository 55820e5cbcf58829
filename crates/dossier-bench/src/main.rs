//! `dossier-bench OUT_DIR FILE.json…`: reads the objects `dossier dev bench --json` printed, one
//! per size, and writes `OUT_DIR/report.md` (the budgets of DESIGN.md § Budgets at each size,
//! the ratios to the raw baselines, a table per size) and `OUT_DIR/latency.svg` (p99 latency by
//! size), then prints where each budget holds or falls short. `make bench` runs it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use plotters::prelude::*;
use serde::Deserialize;

/// One `dev bench` run: the figures the report uses (docs/performance.md says what each means).
#[derive(Debug, Clone, Deserialize)]
struct Run {
    customers: u64,
    cpus: usize,
    generate_s: f64,
    db_bytes: u64,
    db_bytes_per_customer: f64,
    command_p50_us: f64,
    command_p99_us: f64,
    raw_commit_p50_us: f64,
    raw_commit_p99_us: f64,
    commands: BTreeMap<String, Latency>,
    #[serde(default)]
    commands_refused: BTreeMap<String, usize>,
    queue_page_p50_us: f64,
    queue_page_p99_us: f64,
    raw_keyset_p50_us: f64,
    raw_keyset_p99_us: f64,
    queue: Vec<QueueFigures>,
    import_rows: u64,
    import_rows_per_s: f64,
    /// The budget's baseline: exactly the rows the import stored, inserted raw into copies of
    /// the same tables.
    raw_insert_rows_per_s: f64,
    /// The file's cells inserted raw into one flat table (absent from runs before it was kept
    /// beside the baseline above, where `raw_insert_rows_per_s` was this figure).
    #[serde(default)]
    raw_flat_insert_rows_per_s: f64,
    /// Processor time of the import and of its baseline (absent from older runs).
    #[serde(default)]
    import_cpu_s: f64,
    #[serde(default)]
    raw_insert_cpu_s: f64,
    drain_ops: u64,
    drain_ops_per_s: f64,
    drain_needs_attention: u64,
    simulator_ops: u64,
    simulator_ops_per_s: f64,
    /// The capacity run's halves, just before and just after the drain (absent from runs that
    /// measured it once, after the drain).
    #[serde(default)]
    simulator_ops_per_s_before: Option<f64>,
    #[serde(default)]
    simulator_ops_per_s_after: Option<f64>,
    peak_rss_mb: f64,
    rss_mb: BTreeMap<String, f64>,
    #[serde(default)]
    rss_growth_mb: BTreeMap<String, f64>,
    /// Whether the simulators, which keep every record sent to them, ran in the bench's process
    /// (absent from older runs, where they always did).
    #[serde(default = "in_process")]
    simulator_in_process: bool,
    elapsed_s: f64,
}

fn in_process() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Deserialize)]
struct Latency {
    samples: usize,
    p50_us: f64,
    p99_us: f64,
    max_us: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct QueueFigures {
    filter: String,
    first_page: Latency,
    next_pages: Latency,
    deep_pages: Latency,
    all: Latency,
}

/// A budget of DESIGN.md § Budgets as one run shows it.
struct Verdict {
    /// `None` when the run cannot tell.
    holds: Option<bool>,
    shown: String,
}

struct Budget {
    name: &'static str,
    judge: fn(&Run) -> Verdict,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

const BUDGETS: &[Budget] = &[
    Budget {
        name: "one command (gate + transition + audit + outbox, committed): p99 ≤ 1 ms",
        judge: |r| Verdict { holds: Some(r.command_p99_us <= 1_000.0), shown: micros(r.command_p99_us) },
    },
    Budget {
        name: "a filtered, sorted work-queue page of 50: p99 ≤ 10 ms",
        judge: |r| Verdict { holds: Some(r.queue_page_p99_us <= 10_000.0), shown: micros(r.queue_page_p99_us) },
    },
    Budget {
        name: "bulk import ≥ 50 % of raw SQLite insert speed (the same rows into the same tables)",
        judge: |r| {
            let share = ratio(r.import_rows_per_s, r.raw_insert_rows_per_s);
            Verdict { holds: Some(share >= 0.5), shown: percent(share) }
        },
    },
    Budget {
        name: "outbox drain to a loopback simulator ≥ 80 % of its capacity",
        judge: |r| {
            let share = ratio(r.drain_ops_per_s, r.simulator_ops_per_s);
            Verdict { holds: Some(share >= 0.8), shown: percent(share) }
        },
    },
    Budget {
        name: "outbox drain: memory flat in backlog size",
        judge: |r| Verdict {
            holds: None,
            shown: format!(
                "rose {} MB draining {} messages{} (one backlog size per run: compare runs with other --import-rows)",
                r.rss_growth_mb.get("drain").copied().unwrap_or(0.0),
                r.drain_ops + r.drain_needs_attention,
                if r.simulator_in_process {
                    ", the in-process simulators' records included (--simulator keeps them out)"
                } else {
                    ""
                }
            ),
        },
    },
];

fn micros(us: f64) -> String {
    if us >= 1_000_000.0 {
        format!("{:.2} s", us / 1_000_000.0)
    } else if us >= 1_000.0 {
        format!("{:.2} ms", us / 1_000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// A tick of the chart's time axis (a power of ten): "100 µs", "10 ms", "1 s".
fn tick(us: f64) -> String {
    if us >= 999_999.0 {
        format!("{:.0} s", us / 1_000_000.0)
    } else if us >= 999.0 {
        format!("{:.0} ms", us / 1_000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// A percentile of timed runs, or a dash when nothing was timed (a filter with one page has
/// no next pages).
fn latency(l: &Latency, pick: fn(&Latency) -> f64) -> String {
    if l.samples == 0 { "–".to_owned() } else { micros(pick(l)) }
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// `a / b` as a percentage, or a dash when the run has no `b` (a figure older runs lack).
fn optional_percent(a: f64, b: f64) -> String {
    if b > 0.0 { percent(a / b) } else { "–".to_owned() }
}

fn times(x: f64) -> String {
    format!("{x:.1}×")
}

/// 1234567 as "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn size_name(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{} M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{} k", n / 1_000),
        n => thousands(n),
    }
}

fn verdict_text(v: &Verdict) -> String {
    match v.holds {
        Some(true) => format!("holds ({})", v.shown),
        Some(false) => format!("**falls short** ({})", v.shown),
        None => format!("not judged: {}", v.shown),
    }
}

/// The micro-benchmarks in criterion's output: (name, median estimate) in the order run.
/// Criterion writes `NAME  time: [LOW MEDIAN HIGH]` on one line, or the name on the line before
/// when it is long.
fn criterion_medians(output: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut previous = "";
    for line in output.lines() {
        if let Some((name, rest)) = line.split_once("time:") {
            let name = if name.trim().is_empty() { previous.trim() } else { name.trim() };
            let figures: Vec<&str> =
                rest.trim().trim_start_matches('[').trim_end_matches(']').split_whitespace().collect();
            if let [_, _, median, unit, _, _] = figures[..] {
                out.push((name.to_owned(), format!("{median} {unit}")));
            }
        }
        if !line.trim().is_empty() {
            previous = line;
        }
    }
    out
}

fn report(runs: &[Run], chart: &str, criterion: &[(String, String)]) -> String {
    let mut md = String::new();
    let header: Vec<String> = runs.iter().map(|r| size_name(r.customers)).collect();
    let row = |md: &mut String, name: &str, cells: Vec<String>| {
        let _ = writeln!(md, "| {name} | {} |", cells.join(" | "));
    };
    let head = |md: &mut String, first: &str| {
        let _ = writeln!(md, "| {first} | {} |", header.join(" | "));
        let _ = writeln!(md, "|---|{}", "---|".repeat(header.len()));
    };
    let _ = writeln!(md, "# Dossier benchmark report\n");
    let _ = writeln!(
        md,
        "Made by `make bench` from `dossier dev bench` at {} customers on a machine with {} CPUs. Every figure \
         of a size was taken in one run, next to its raw baseline; docs/performance.md says what each one \
         means. Numbers from a machine doing other work are noisy: compare ratios rather than absolutes.\n",
        header.join(", "),
        runs.first().map_or(0, |r| r.cpus)
    );

    let _ = writeln!(md, "## Budgets (DESIGN.md § Budgets, set for 1 M customers)\n");
    head(&mut md, "budget");
    for b in BUDGETS {
        row(&mut md, b.name, runs.iter().map(|r| verdict_text(&(b.judge)(r))).collect());
    }
    row(
        &mut md,
        "desktop app: first screen ≤ 1 s, idle memory ≤ 150 MB",
        runs.iter().map(|_| "not measured here (e2e/bench.mjs)".to_owned()).collect(),
    );

    let _ = writeln!(md, "\n## Ratios to the raw baselines\n");
    head(&mut md, "ratio");
    row(
        &mut md,
        "command p99 / raw commit p99",
        runs.iter().map(|r| times(ratio(r.command_p99_us, r.raw_commit_p99_us))).collect(),
    );
    row(
        &mut md,
        "queue page p99 / raw keyset page p99",
        runs.iter().map(|r| times(ratio(r.queue_page_p99_us, r.raw_keyset_p99_us))).collect(),
    );
    row(
        &mut md,
        "import rows/s / raw insert of the same rows into the same tables",
        runs.iter().map(|r| percent(ratio(r.import_rows_per_s, r.raw_insert_rows_per_s))).collect(),
    );
    row(
        &mut md,
        "the same, by processor time (steadier on a shared machine)",
        runs.iter().map(|r| optional_percent(r.raw_insert_cpu_s, r.import_cpu_s)).collect(),
    );
    row(
        &mut md,
        "import rows/s / raw insert of the file's cells into one flat table",
        runs.iter().map(|r| optional_percent(r.import_rows_per_s, r.raw_flat_insert_rows_per_s)).collect(),
    );
    row(
        &mut md,
        "drain ops/s / simulator ops/s",
        runs.iter().map(|r| percent(ratio(r.drain_ops_per_s, r.simulator_ops_per_s))).collect(),
    );
    row(
        &mut md,
        "database bytes per customer",
        runs.iter().map(|r| thousands(r.db_bytes_per_customer as u64)).collect(),
    );
    row(&mut md, "peak RSS of Dossier's workloads", runs.iter().map(|r| format!("{:.0} MB", r.peak_rss_mb)).collect());

    let _ = writeln!(md, "\n![p99 latency by number of customers]({chart})\n");

    if !criterion.is_empty() {
        let _ = writeln!(
            md,
            "## Micro-benchmarks (criterion, quick mode; full output in criterion.txt)\n\n| benchmark | median |\n|---|---|"
        );
        for (name, median) in criterion {
            let _ = writeln!(md, "| {name} | {median} |");
        }
        md.push('\n');
    }

    for r in runs {
        let _ = writeln!(md, "## {} customers\n", thousands(r.customers));
        let _ = writeln!(
            md,
            "Generated in {:.0} s; the database is {} MB ({} bytes per customer); the whole run took {:.0} s.\n",
            r.generate_s,
            r.db_bytes / 1_000_000,
            thousands(r.db_bytes_per_customer as u64),
            r.elapsed_s
        );
        let _ = writeln!(md, "| work | Dossier | raw baseline | ratio |\n|---|---|---|---|");
        let _ = writeln!(
            md,
            "| command p50 / p99 | {} / {} | {} / {} (one-row commit) | {} |",
            micros(r.command_p50_us),
            micros(r.command_p99_us),
            micros(r.raw_commit_p50_us),
            micros(r.raw_commit_p99_us),
            times(ratio(r.command_p99_us, r.raw_commit_p99_us))
        );
        let _ = writeln!(
            md,
            "| queue page of 50, p50 / p99 | {} / {} | {} / {} (keyset page) | {} |",
            micros(r.queue_page_p50_us),
            micros(r.queue_page_p99_us),
            micros(r.raw_keyset_p50_us),
            micros(r.raw_keyset_p99_us),
            times(ratio(r.queue_page_p99_us, r.raw_keyset_p99_us))
        );
        let _ = writeln!(
            md,
            "| import of {} rows | {} rows/s | {} rows/s (the rows it stored, inserted raw into copies of its tables) | {} |",
            thousands(r.import_rows),
            thousands(r.import_rows_per_s as u64),
            thousands(r.raw_insert_rows_per_s as u64),
            percent(ratio(r.import_rows_per_s, r.raw_insert_rows_per_s))
        );
        if r.import_cpu_s > 0.0 && r.raw_insert_cpu_s > 0.0 {
            let _ = writeln!(
                md,
                "| (the same, processor time) | {:.2} s | {:.2} s | {} |",
                r.import_cpu_s,
                r.raw_insert_cpu_s,
                percent(ratio(r.raw_insert_cpu_s, r.import_cpu_s))
            );
        }
        if r.raw_flat_insert_rows_per_s > 0.0 {
            let _ = writeln!(
                md,
                "| (the same import) | | {} rows/s (the file's cells into one flat table) | {} |",
                thousands(r.raw_flat_insert_rows_per_s as u64),
                percent(ratio(r.import_rows_per_s, r.raw_flat_insert_rows_per_s))
            );
        }
        let halves = match (r.simulator_ops_per_s_before, r.simulator_ops_per_s_after) {
            (Some(before), Some(after)) => {
                format!(": {} before the drain, {} after", thousands(before as u64), thousands(after as u64))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            md,
            "| outbox drain ({} delivered, {} needing attention) | {} ops/s | {} ops/s (simulator, {} ops{halves}) | {} |\n",
            thousands(r.drain_ops),
            thousands(r.drain_needs_attention),
            thousands(r.drain_ops_per_s as u64),
            thousands(r.simulator_ops_per_s as u64),
            thousands(r.simulator_ops),
            percent(ratio(r.drain_ops_per_s, r.simulator_ops_per_s))
        );

        let _ = writeln!(md, "| command | samples | p50 | p99 | max | refused |\n|---|---|---|---|---|---|");
        for (name, l) in &r.commands {
            let _ = writeln!(
                md,
                "| {name} | {} | {} | {} | {} | {} |",
                l.samples,
                micros(l.p50_us),
                micros(l.p99_us),
                micros(l.max_us),
                r.commands_refused.get(name).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(
            md,
            "\n| queue filter | pages | p50 | p99 | first page p99 | next pages p99 | deep pages p99 |\n|---|---|---|---|---|---|---|"
        );
        for q in &r.queue {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                q.filter,
                q.all.samples,
                latency(&q.all, |l| l.p50_us),
                latency(&q.all, |l| l.p99_us),
                latency(&q.first_page, |l| l.p99_us),
                latency(&q.next_pages, |l| l.p99_us),
                latency(&q.deep_pages, |l| l.p99_us)
            );
        }
        let _ = writeln!(
            md,
            "\nA filter stops after the first round of pages that ends past 4 s, so slow filters have fewer pages."
        );
        let _ = writeln!(md, "\n| workload | peak RSS | rise during the workload |\n|---|---|---|");
        for (workload, mb) in &r.rss_mb {
            let name =
                if workload == "simulator" { "simulator capacity run (the bench's, not Dossier's)" } else { workload };
            let rise = r.rss_growth_mb.get(workload).map_or("–".to_owned(), |g| format!("{g:.0} MB"));
            let _ = writeln!(md, "| {name} | {mb:.0} MB | {rise} |");
        }
        md.push('\n');
    }
    md
}

/// A line of the chart: its name, the figure it shows and its colour.
type Series = (&'static str, fn(&Run) -> f64, RGBColor);

/// p99 latency by size, on log scales, with the two latency budgets as dashed lines.
fn chart(runs: &[Run], path: &Path) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("could not draw the chart: {e}");
    // Customers on a log scale, drawn as log10 on a plain axis so that ticks fall on powers of
    // ten and only they are labelled.
    let xs: Vec<f64> = runs.iter().map(|r| (r.customers.max(1) as f64).log10()).collect();
    let series: [Series; 4] = [
        ("command p99", |r| r.command_p99_us, RGBColor(200, 40, 40)),
        ("raw commit p99", |r| r.raw_commit_p99_us, RGBColor(240, 150, 150)),
        ("queue page p99", |r| r.queue_page_p99_us, RGBColor(30, 80, 200)),
        ("raw keyset page p99", |r| r.raw_keyset_p99_us, RGBColor(140, 170, 240)),
    ];
    let values = runs.iter().flat_map(|r| series.iter().map(move |(_, f, _)| f(r))).filter(|v| *v > 0.0);
    let y_min = values.clone().fold(f64::MAX, f64::min).min(1_000.0) / 2.0;
    let y_max = values.fold(0.0, f64::max).max(10_000.0) * 2.0;
    let x_min = xs.iter().copied().fold(f64::MAX, f64::min) - 0.3;
    let x_max = xs.iter().copied().fold(f64::MIN, f64::max) + 0.3;

    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("p99 latency by number of customers", ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(x_min..x_max, (y_min..y_max).log_scale())
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc("customers (log scale)")
        .y_desc("p99 latency (log scale)")
        .x_labels(12)
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-6 { size_name(10f64.powf(x.round()) as u64) } else { String::new() }
        })
        .y_label_formatter(&|y| tick(*y))
        .draw()
        .map_err(|e| fail(&e))?;
    for (name, value, color) in series {
        let points: Vec<(f64, f64)> = runs.iter().zip(&xs).map(|(r, x)| (*x, value(r).max(y_min))).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(|e| fail(&e))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(points.into_iter().map(|p| Circle::new(p, 4, color.filled()))).map_err(|e| fail(&e))?;
    }
    for (name, budget, color) in [
        ("command budget (1 ms)", 1_000.0, RGBColor(120, 20, 20)),
        ("queue page budget (10 ms)", 10_000.0, RGBColor(20, 40, 120)),
    ] {
        chart
            .draw_series(DashedLineSeries::new(vec![(x_min, budget), (x_max, budget)], 6, 4, color.stroke_width(1)))
            .map_err(|e| fail(&e))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(1)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}

fn read(path: &Path) -> Result<Run, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("could not read {}: {}", path.display(), e.kind()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not a `dossier dev bench` report: {e}", path.display()))
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), files) = (args.next().map(PathBuf::from), args.map(PathBuf::from).collect::<Vec<_>>()) else {
        eprintln!("usage: dossier-bench OUT_DIR FILE.json…");
        return ExitCode::from(2);
    };
    let run = || -> Result<(), String> {
        if files.is_empty() {
            return Err("usage: dossier-bench OUT_DIR FILE.json… (no report given)".into());
        }
        let mut runs = files.iter().map(|f| read(f)).collect::<Result<Vec<_>, _>>()?;
        runs.sort_by_key(|r| r.customers);
        std::fs::create_dir_all(&out).map_err(|e| format!("could not create {}: {}", out.display(), e.kind()))?;
        chart(&runs, &out.join("latency.svg"))?;
        // `make bench` leaves criterion's output beside the report.
        let criterion = std::fs::read_to_string(out.join("criterion.txt")).unwrap_or_default();
        let md = report(&runs, "latency.svg", &criterion_medians(&criterion));
        let path = out.join("report.md");
        std::fs::write(&path, md).map_err(|e| format!("could not write {}: {}", path.display(), e.kind()))?;
        println!("budgets (DESIGN.md § Budgets):");
        for b in BUDGETS {
            println!("  {}", b.name);
            for r in &runs {
                let v = (b.judge)(r);
                let word = match v.holds {
                    Some(true) => "holds",
                    Some(false) => "FALLS SHORT",
                    None => "not judged",
                };
                println!("    {:>6} customers: {word} ({})", size_name(r.customers), v.shown);
            }
        }
        println!("report: {}", path.display());
        println!("chart:  {}", out.join("latency.svg").display());
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dossier-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_numbers_read_as_people_write_them() {
        assert_eq!(size_name(10_000), "10 k");
        assert_eq!(size_name(1_000_000), "1 M");
        assert_eq!(size_name(1_234), "1,234");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(micros(850.0), "850 µs");
        assert_eq!(micros(12_345.0), "12.35 ms");
    }

    #[test]
    fn criterion_names_and_medians_are_read_from_either_layout() {
        let output = "Benchmarking risk/assess\nrisk/assess             time:   [110.10 ns 118.04 ns 128.73 ns]\n\
            Found 8 outliers among 100 measurements (8.00%)\n\
            lifecycle/every state x action (63 transitions)\n                        time:   [131.96 ns 136.74 ns 142.19 ns]\n";
        assert_eq!(
            criterion_medians(output),
            [
                ("risk/assess".to_owned(), "118.04 ns".to_owned()),
                ("lifecycle/every state x action (63 transitions)".to_owned(), "136.74 ns".to_owned())
            ]
        );
    }

    fn run(customers: u64, command_p99_us: f64, import_rows_per_s: f64) -> Run {
        let latency = serde_json::json!({"samples": 10, "p50_us": 1.0, "p99_us": 2.0, "max_us": 3.0});
        serde_json::from_value(serde_json::json!({
            "customers": customers, "cpus": 2, "generate_s": 1.0, "db_bytes": 6_000_000, "db_bytes_per_customer": 6000.0,
            "command_p50_us": 300.0, "command_p99_us": command_p99_us, "raw_commit_p50_us": 20.0, "raw_commit_p99_us": 100.0,
            "commands": {"verify": latency}, "queue_page_p50_us": 100.0, "queue_page_p99_us": 9_000.0,
            "raw_keyset_p50_us": 50.0, "raw_keyset_p99_us": 90.0,
            "queue": [{"filter": "none", "first_page": latency, "next_pages": latency, "deep_pages": latency, "all": latency}],
            "import_rows": 100, "import_rows_per_s": import_rows_per_s, "raw_insert_rows_per_s": 10_000.0,
            "raw_flat_insert_rows_per_s": 100_000.0, "import_cpu_s": 2.0, "raw_insert_cpu_s": 1.5,
            "drain_ops": 400, "drain_ops_per_s": 900.0, "drain_needs_attention": 0,
            "simulator_ops": 400, "simulator_ops_per_s": 1_000.0,
            "simulator_ops_per_s_before": 800.0, "simulator_ops_per_s_after": 1_250.0,
            "peak_rss_mb": 100.0, "rss_mb": {"drain": 80.0}, "elapsed_s": 10.0
        }))
        .expect("a run")
    }

    #[test]
    fn each_budget_is_judged_at_each_size() {
        let runs = [run(10_000, 800.0, 6_000.0), run(1_000_000, 2_500.0, 4_000.0)];
        let md = report(&runs, "latency.svg", &[]);
        let line = |start: &str| md.lines().find(|l| l.starts_with(start)).unwrap_or_default().to_owned();
        assert_eq!(
            line("| one command"),
            "| one command (gate + transition + audit + outbox, committed): p99 ≤ 1 ms | holds (800 µs) | **falls short** (2.50 ms) |"
        );
        assert_eq!(
            line("| a filtered"),
            "| a filtered, sorted work-queue page of 50: p99 ≤ 10 ms | holds (9.00 ms) | holds (9.00 ms) |"
        );
        assert_eq!(
            line("| bulk import"),
            "| bulk import ≥ 50 % of raw SQLite insert speed (the same rows into the same tables) | holds (60.0 %) | **falls short** (40.0 %) |"
        );
        // The flat-table figure is shown beside the baseline, never judged.
        assert_eq!(
            line("| import rows/s / raw insert of the file's cells"),
            "| import rows/s / raw insert of the file's cells into one flat table | 6.0 % | 4.0 % |"
        );
        assert!(
            md.contains("| (the same import) | | 100,000 rows/s (the file's cells into one flat table) | 6.0 % |"),
            "{md}"
        );
        assert!(md.contains("| (the same, processor time) | 2.00 s | 1.50 s | 75.0 % |"), "{md}");
        assert_eq!(
            line("| the same, by processor time"),
            "| the same, by processor time (steadier on a shared machine) | 75.0 % | 75.0 % |"
        );
        assert_eq!(
            line("| outbox drain to"),
            "| outbox drain to a loopback simulator ≥ 80 % of its capacity | holds (90.0 %) | holds (90.0 %) |"
        );
        assert!(
            md.contains(
                "| outbox drain (400 delivered, 0 needing attention) | 900 ops/s | 1,000 ops/s (simulator, 400 ops: 800 before the drain, 1,250 after) | 90.0 % |"
            ),
            "the capacity run's halves: {md}"
        );
        assert!(md.contains("## 1,000,000 customers"), "{md}");
    }
}
