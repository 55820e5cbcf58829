//! The `dossier` binary: runs one command line and exits with its code.

use std::io::{IsTerminal, Write};

fn main() {
    let ctx = dossier_cli::Context { pretty: std::io::stdout().is_terminal(), ..Default::default() };
    let outcome = dossier_cli::run(std::env::args_os(), &ctx);
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is not worth a panic; the exit code still tells the truth.
    let _ = stdout.write_all(outcome.stdout.as_bytes());
    let _ = stdout.flush();
    std::process::exit(outcome.exit_code);
}
