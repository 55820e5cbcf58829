//! Dossier's desktop shell (Tauri v2). `run()` builds the app on a locked data directory (the
//! window asks for the passphrase, or sets the directory up);
//! the commands in [`commands`] are thin wrappers over dossier-app: no SQL, no business rules.
//! Errors cross IPC as the shared `{status, code, message, reasons}` body.

#[cfg(test)]
mod bindings;
mod commands;
mod hardening;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use dossier_app::{Actor, Dossier};

/// The app's state: the data directory, and the session while it is unlocked. Locked (at
/// launch, and after `lock`), no data is open and the data key is not in memory.
pub struct Desk {
    pub data_dir: PathBuf,
    /// When `run()` began (Unix milliseconds).
    pub launched_at_ms: u64,
    session: Mutex<Option<Session>>,
}

/// An unlocked data directory.
pub struct Session {
    pub app: Dossier,
    pub actor: Actor,
    /// The in-process sandbox providers' address, while they run.
    pub sandbox_url: Option<String>,
    /// Keeps the sandbox running for as long as the session.
    _sandbox: Option<dossier_app::sandbox::SandboxHost>,
}

impl Desk {
    /// The session slot. A panic inside a command cannot leave the database half-written (its
    /// transaction rolled back), so a poisoned lock is safe to take over.
    pub fn session(&self) -> MutexGuard<'_, Option<Session>> {
        self.session.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Session {
    /// Starts a session on an opened data directory: the built-in sandbox providers run in
    /// this process, so sync works with no credentials, and a fresh data directory is pointed
    /// at them. Failing to start them only costs sync.
    pub fn start(mut app: Dossier, actor: Actor) -> Self {
        if let Err(e) = app.use_sandbox_by_default(&actor) {
            eprintln!("dossier: could not configure the sandbox providers: {}", e.body().message);
        }
        let sandbox = match app.host_sandbox() {
            Ok(host) => host,
            Err(e) => {
                eprintln!("dossier: the sandbox providers did not start: {}", e.body().message);
                None
            }
        };
        let sandbox_url =
            sandbox.as_ref().map(|h| h.url.clone()).or_else(|| dossier_app::sandbox::hosted_elsewhere(app.data_dir()));
        app.set_sandbox_url(sandbox_url.clone());
        Self { app, actor, sandbox_url, _sandbox: sandbox }
    }
}

/// How long the window may sit idle before it locks: `DOSSIER_IDLE_LOCK_SECONDS` (at least
/// 5), default ten minutes.
pub fn idle_lock_seconds() -> u32 {
    std::env::var("DOSSIER_IDLE_LOCK_SECONDS").ok().and_then(|v| v.parse().ok()).map_or(600, |s: u32| s.max(5))
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

/// Sets WebKitGTK up for what the window is, one local page of tables and forms, not a browser
/// (wry's defaults are a browser's): the "document viewer" cache model, which keeps no memory
/// cache of pages and resources for browsing back and forth, as a single-page app never does;
/// no back-forward page cache and no WebGL, which nothing here uses.
///
/// Measured at 1 M customers in docs/performance.md ("Desktop app at 1 M customers").
#[cfg(target_os = "linux")]
fn lighten_webview(webview: tauri::webview::PlatformWebview) {
    use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
    let view = webview.inner();
    if let Some(context) = view.context() {
        context.set_cache_model(CacheModel::DocumentViewer);
    }
    if let Some(settings) = WebViewExt::settings(&view) {
        settings.set_enable_page_cache(false);
        settings.set_enable_webgl(false);
    }
}

/// WebKitGTK draws the page without GPU compositing unless the environment already says
/// otherwise (`WEBKIT_DISABLE_COMPOSITING_MODE=0` before launch turns it back on). Compositing
/// puts the page in GL layers; where there is no GPU driver (virtual machines, remote desktops)
/// Mesa's software renderer and its LLVM are loaded into the web process for it. The app's
/// screens are tables and forms, with no animation or 3D to composite. It is an environment
/// variable rather than the webview's hardware-acceleration setting because the setting comes
/// after WebKit's web process has started, by when it has loaded the GL stack.
///
/// For the same reason the DMA-BUF renderer, which hands composited frames from the web process
/// to the window through GPU buffers, is turned off (`WEBKIT_DISABLE_DMABUF_RENDERER`): with no
/// compositing it has nothing to carry, and probing for it loads GPU buffer code into the app's
/// own process (about 5 MB of it on a blank page, docs/performance.md).
#[cfg(target_os = "linux")]
fn draw_without_compositing() {
    for var in ["WEBKIT_DISABLE_COMPOSITING_MODE", "WEBKIT_DISABLE_DMABUF_RENDERER"] {
        if std::env::var_os(var).is_none() {
            // SAFETY: called first thing in `run()`, before Tauri, GTK or WebKit start a thread,
            // so nothing reads the environment meanwhile. WebKit reads these when it creates its
            // first settings and its first web process, which inherits them.
            unsafe { std::env::set_var(var, "1") };
        }
    }
}

/// Builds and runs the app until its window closes.
pub fn run() {
    #[cfg(target_os = "linux")]
    draw_without_compositing();
    let launched_at_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let desk = Desk { data_dir: data_dir(), launched_at_ms, session: Mutex::new(None) };
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(desk)
        .setup(|app| {
            #[cfg(target_os = "linux")]
            if let Some(window) = tauri::Manager::get_webview_window(app, "main") {
                window.with_webview(lighten_webview)?;
            }
            #[cfg(not(target_os = "linux"))]
            let _ = app;
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("dossier: the desktop app stopped: {e}");
        std::process::exit(1);
    }
}
