//! The desktop app's entry point. `--data-dir DIR` (or `DOSSIER_DATA_DIR`) chooses the data
//! directory; the platform data directory is the default.

// No console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    dossier_desktop::run();
}
