//! The window's security settings, checked as data: a loosened CSP, a new capability, a remote
//! URL or devtools in release builds fails `cargo test` instead of slipping through review.

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn read(path: &str) -> Value {
        let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect("readable");
        serde_json::from_str(&text).expect("JSON")
    }

    /// The CSP's directives as (name, sources).
    fn csp() -> Vec<(String, Vec<String>)> {
        let conf = read("tauri.conf.json");
        let csp = conf["app"]["security"]["csp"].as_str().expect("a CSP string").to_owned();
        csp.split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                let mut parts = d.split_whitespace().map(str::to_owned);
                (parts.next().unwrap_or_default(), parts.collect())
            })
            .collect()
    }

    fn directive(name: &str) -> Option<Vec<String>> {
        csp().into_iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    #[test]
    fn scripts_come_only_from_the_app_itself() {
        assert_eq!(directive("default-src"), Some(vec!["'self'".to_owned()]));
        assert_eq!(directive("script-src"), Some(vec!["'self'".to_owned()]), "no inline scripts, no eval, no hosts");
        assert_eq!(directive("object-src"), Some(vec!["'none'".to_owned()]));
        assert_eq!(directive("base-uri"), Some(vec!["'none'".to_owned()]));
        assert_eq!(directive("frame-ancestors"), Some(vec!["'none'".to_owned()]));
        for (name, sources) in csp() {
            for s in &sources {
                assert!(!s.contains("unsafe-eval") && !s.contains("wasm-unsafe-eval"), "{name} allows eval");
                assert!(
                    !(s.starts_with("http:") || s.starts_with("https:") || s.starts_with("ws") || s == "*")
                        || s == "http://ipc.localhost",
                    "{name} allows remote content: {s}"
                );
            }
        }
        // Inline styles only (React's style attributes); never inline scripts.
        assert!(directive("style-src").unwrap_or_default().iter().all(|s| s == "'self'" || s == "'unsafe-inline'"));
        assert_eq!(directive("connect-src"), Some(vec!["ipc:".to_owned(), "http://ipc.localhost".to_owned()]));
    }

    #[test]
    fn the_window_has_the_least_privileges_it_needs() {
        let caps = read("capabilities/default.json");
        let permissions: Vec<&str> =
            caps["permissions"].as_array().expect("a list").iter().map(|p| p.as_str().expect("a name")).collect();
        assert_eq!(permissions, ["core:event:allow-listen", "core:event:allow-unlisten"]);
        assert_eq!(caps["windows"], serde_json::json!(["main"]));
        assert!(caps.get("remote").is_none(), "no remote URL may use the capabilities");
        let conf = read("tauri.conf.json");
        assert_eq!(conf["app"]["withGlobalTauri"], Value::Null, "no global Tauri object for page scripts");
        assert_eq!(conf["app"]["security"]["assetProtocol"], Value::Null, "files reach the page only through commands");
        assert_eq!(conf["app"]["security"]["dangerousDisableAssetCspModification"], Value::Null);
        let windows = conf["app"]["windows"].as_array().expect("windows");
        assert!(windows.iter().all(|w| w["url"].is_null() || w["url"].as_str().is_some_and(|u| !u.contains("://"))));
    }

    #[test]
    fn release_builds_have_no_devtools() {
        // Tauri opens devtools only in debug builds unless its `devtools` feature is on.
        let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).expect("manifest");
        let tauri_line = manifest.lines().find(|l| l.starts_with("tauri = ")).expect("the tauri dependency");
        assert!(!tauri_line.contains("devtools"), "{tauri_line}");
        assert!(!manifest.contains("\"tauri/devtools\""));
    }
}
