//! Starts a simulator and prints `{"url": "http://127.0.0.1:PORT"}` as its first stdout line,
//! the way `dossier sim` does, for scripts that need a simulator without the main CLI.
//!
//! `cargo run -p dossier-sim --example serve -- [--port P] [--faults SPEC] [--seed N] [--state-file PATH]`

use std::io::Write;
use std::process::ExitCode;

use dossier_sim::{Faults, SimConfig};

fn main() -> ExitCode {
    let mut config = SimConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        let parsed = match (flag.as_str(), value.as_deref()) {
            ("--port", Some(v)) => v
                .parse()
                .map(|port| config.port = port)
                .map_err(|_| "--port needs a number from 0 to 65535".to_string()),
            ("--seed", Some(v)) => {
                v.parse().map(|seed| config.seed = seed).map_err(|_| "--seed needs a whole number".to_string())
            }
            ("--faults", Some(v)) => Faults::parse(v).map(|faults| config.faults = faults).map_err(|e| e.to_string()),
            ("--state-file", Some(v)) => {
                config.state_file = Some(v.into());
                Ok(())
            }
            _ => Err(format!(
                "unknown or incomplete option `{flag}`: use --port P, --faults SPEC, --seed N, --state-file PATH"
            )),
        };
        if let Err(message) = parsed {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    let result = dossier_sim::run_blocking(config, |url| {
        println!("{}", serde_json::json!({ "url": url }));
        let _ = std::io::stdout().flush();
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the simulator could not run: {e}");
            ExitCode::FAILURE
        }
    }
}
