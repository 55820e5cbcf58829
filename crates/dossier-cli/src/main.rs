//! The `dossier` binary: runs one command line and exits with its code.

use std::io::IsTerminal;

fn main() {
    let ctx = dossier_cli::Context { pretty: std::io::stdout().is_terminal(), ..Default::default() };
    // Exports stream straight to stdout; the lock's line buffering is replaced by the export's own.
    let exit_code = dossier_cli::run_to(std::env::args_os(), &ctx, &mut std::io::stdout().lock());
    std::process::exit(exit_code);
}
