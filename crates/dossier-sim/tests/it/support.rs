//! Shared test setup: a simulator per test, a plain reqwest client, and one helper per
//! provider that gets a token and sends a request the way that provider expects.

use std::time::Duration;

use dossier_sim::{SimConfig, SimHandle};
use reqwest::Method;
use serde_json::{Value, json};

pub const ID: &str = "dossier-sandbox";
pub const SECRET: &str = "dossier-sandbox";

pub struct TestSim {
    pub handle: SimHandle,
    pub http: reqwest::Client,
}

/// The answer to one request: its status and its body as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

pub async fn start() -> TestSim {
    start_with(SimConfig { seed: 7, ..SimConfig::default() }).await
}

pub async fn start_with(config: SimConfig) -> TestSim {
    let handle = dossier_sim::spawn(config).await.expect("the simulator starts on loopback");
    TestSim { handle, http: client() }
}

/// No proxy (the environment may name one) and a timeout so a hang fails instead of stalling.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().expect("a reqwest client")
}

impl TestSim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.url)
    }

    /// Sends a request; a transport error (no response at all) is returned as `Err`.
    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Reply, reqwest::Error> {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if path.starts_with("/mbanq") {
            request = request.header("tenantId", "sandbox");
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        Ok(Reply { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) })
    }

    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.try_send(method, path, token, body).await.expect("the simulator answers")
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn cybrid_token(&self) -> String {
        let body = json!({ "grant_type": "client_credentials", "client_id": ID, "client_secret": SECRET });
        let reply = self.send(Method::POST, "/cybrid/oauth/token", None, Some(body)).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        token_of(&reply)
    }

    pub async fn paxos_token(&self) -> String {
        let form = [("grant_type", "client_credentials"), ("client_id", ID), ("client_secret", SECRET)];
        let response = self.http.post(self.url("/paxos/oauth2/token")).form(&form).send().await.expect("answers");
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.expect("json")["access_token"].as_str().expect("a token").to_string()
    }

    pub async fn qolo_token(&self) -> String {
        let body = json!({ "loginid": ID, "apikey": SECRET });
        let reply = self.send(Method::POST, "/qolo/api/v1/auth/login", None, Some(body)).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        token_of(&reply)
    }

    pub async fn mbanq_token(&self) -> String {
        let form = [
            ("grant_type", "password"),
            ("username", ID),
            ("password", SECRET),
            ("client_id", ID),
            ("client_secret", SECRET),
        ];
        let response = self
            .http
            .post(self.url("/mbanq/oauth/token"))
            .header("tenantId", "sandbox")
            .form(&form)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.expect("json")["access_token"].as_str().expect("a token").to_string()
    }

    pub async fn records(&self) -> Value {
        self.http.get(self.url("/_sim/records")).send().await.expect("admin answers").json().await.expect("json")
    }

    pub async fn stats(&self) -> Value {
        self.http.get(self.url("/_sim/stats")).send().await.expect("admin answers").json().await.expect("json")
    }

    pub async fn set_faults(&self, spec: &str) {
        let response =
            self.http.put(self.url("/_sim/faults")).body(spec.to_string()).send().await.expect("admin answers");
        assert_eq!(response.status(), 200, "faults {spec:?} accepted");
    }

    pub async fn set_offline(&self, offline: bool) {
        let response = self
            .http
            .put(self.url("/_sim/offline"))
            .json(&json!({ "offline": offline }))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 200);
    }

    /// A Cybrid customer that is already `verified`, through an attested KYC verification.
    pub async fn verified_cybrid_customer(&self, token: &str) -> String {
        let customer = self.post("/cybrid/api/customers", token, json!({ "type": "individual" })).await;
        assert_eq!(customer.status, 201);
        let guid = customer.body["guid"].as_str().expect("a guid").to_string();
        let attested =
            json!({ "type": "kyc", "method": "attested", "customer_guid": guid, "date_of_birth": "1990-01-01" });
        assert_eq!(self.post("/cybrid/api/identity_verifications", token, attested).await.status, 201);
        let state = self.get(&format!("/cybrid/api/customers/{guid}"), token).await.body["state"].clone();
        assert_eq!(state, "verified");
        guid
    }
}

fn token_of(reply: &Reply) -> String {
    reply.body["access_token"].as_str().expect("a token").to_string()
}

/// Faults that always pick one kind.
pub fn always(kind: &str) -> String {
    format!("{kind}=1")
}

/// A fresh directory under the system's temporary directory, removed when dropped.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let path = std::env::temp_dir().join(format!("dossier-sim-{label}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }

    pub fn join(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }

    /// Every file name in the directory, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("the directory lists")
            .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
