//! Dossier's desktop shell (Tauri v2). `run()` opens the data directory and builds the app;
//! the commands in [`commands`] are thin wrappers over dossier-app: no SQL, no business rules.
//! Errors cross IPC as the shared `{status, code, message, reasons}` body.

#[cfg(test)]
mod bindings;
mod commands;
mod hardening;

use std::path::PathBuf;
use std::sync::Mutex;

use dossier_app::{Actor, Dossier};

/// What every command needs: the open data directory and who is acting.
pub struct Desk {
    pub app: Mutex<Dossier>,
    pub actor: Actor,
    pub data_dir: PathBuf,
    /// The in-process sandbox providers' address, while they run.
    pub sandbox_url: Option<String>,
    /// When `run()` began (Unix milliseconds).
    pub launched_at_ms: u64,
    /// Keeps the sandbox running for as long as the app.
    _sandbox: Option<dossier_app::sandbox::SandboxHost>,
}

fn data_dir() -> PathBuf {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir"
            && let Some(dir) = args.next()
        {
            return PathBuf::from(dir);
        }
        if let Some(dir) = arg.strip_prefix("--data-dir=") {
            return PathBuf::from(dir);
        }
    }
    if let Some(dir) = std::env::var_os("DOSSIER_DATA_DIR") {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "dossier")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("dossier-data"))
}

/// Builds and runs the app until its window closes.
pub fn run() {
    let launched_at_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let dir = data_dir();
    let app = match Dossier::open(&dir) {
        Ok(app) => app,
        Err(e) => {
            // The window cannot open without its data; say why on the terminal and stop.
            eprintln!("dossier: {}", e.body().message);
            std::process::exit(1);
        }
    };
    // Until the sign-in screen exists, the window acts as the user named by DOSSIER_USER and
    // DOSSIER_PASSWORD when both are set and right; otherwise as a user with no role, whom every
    // command refuses (403 role_required), so nothing is done in nobody's name.
    let actor = match (std::env::var("DOSSIER_USER"), std::env::var("DOSSIER_PASSWORD")) {
        (Ok(user), Ok(password)) => app.sign_in(&user, &dossier_app::Password::new(password)).ok(),
        _ => None,
    }
    .unwrap_or_else(|| {
        eprintln!("dossier: not signed in: set DOSSIER_USER and DOSSIER_PASSWORD (the sign-in screen is to come)");
        Actor::process(dossier_app::UserName::parse("desktop").expect("a valid name"))
    });
    // The built-in sandbox providers run in this process, so sync works with no credentials;
    // a fresh data directory is pointed at them. Failing to start them only costs sync.
    let mut app = app;
    if let Err(e) = app.use_sandbox_by_default(&actor) {
        eprintln!("dossier: could not configure the sandbox providers: {}", e.body().message);
    }
    let sandbox = match dossier_app::sandbox::SandboxHost::start(&dir) {
        Ok(host) => host,
        Err(e) => {
            eprintln!("dossier: the sandbox providers did not start: {}", e.body().message);
            None
        }
    };
    let sandbox_url = sandbox.as_ref().map(|h| h.url.clone()).or_else(|| dossier_app::sandbox::hosted_elsewhere(&dir));
    app.set_sandbox_url(sandbox_url.clone());
    let desk = Desk { app: Mutex::new(app), actor, data_dir: dir, sandbox_url, launched_at_ms, _sandbox: sandbox };
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(desk)
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("dossier: the desktop app stopped: {e}");
        std::process::exit(1);
    }
}
