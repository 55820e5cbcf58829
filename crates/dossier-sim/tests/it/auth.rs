//! Tokens: each provider's token endpoint, 401 in each provider's shape for a missing, foreign
//! or expired token, and Mbanq's refresh grant.

use std::time::Duration;

use dossier_sim::SimConfig;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{ID, SECRET, start, start_with};

#[tokio::test]
async fn an_expired_token_gets_401_in_each_providers_shape() {
    let sim = start_with(SimConfig { token_ttl: Duration::from_secs(1), ..SimConfig::default() }).await;
    let (cybrid, paxos, qolo, mbanq) =
        (sim.cybrid_token().await, sim.paxos_token().await, sim.qolo_token().await, sim.mbanq_token().await);
    let calls = [
        ("/cybrid/api/customers", cybrid),
        ("/paxos/v2/identity/identities", paxos),
        ("/qolo/api/v1/persons?client_reference_id=x", qolo),
        ("/mbanq/v1/clients", mbanq),
    ];
    for (path, token) in &calls {
        assert_eq!(sim.get(path, token).await.status, 200, "{path} before expiry");
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut bodies = Vec::new();
    for (path, token) in &calls {
        let reply = sim.get(path, token).await;
        assert_eq!(reply.status, 401, "{path} after expiry");
        bodies.push(reply.body);
    }
    assert_eq!(
        bodies[0],
        json!({ "status": 401, "error_message": "Signature has expired", "message_code": "authentication_failed" })
    );
    assert_eq!(bodies[1]["type"], "https://developer.paxos.com/docs/v2/problems/unauthorized");
    assert_eq!(bodies[1]["status"], 401);
    assert_eq!(bodies[2], json!({ "status": 401, "error": "Unauthorized", "message": "Unauthorized" }));
    assert_eq!(bodies[3]["userMessageGlobalisationCode"], "error.msg.not.authenticated");
    assert_eq!(bodies[3]["httpStatusCode"], "401");
}

#[tokio::test]
async fn a_token_works_only_for_the_provider_that_issued_it() {
    let sim = start().await;
    let cybrid = sim.cybrid_token().await;
    assert_eq!(sim.get("/paxos/v2/identity/identities", &cybrid).await.status, 401);
    let missing = sim.send(Method::GET, "/cybrid/api/customers", None, None).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body["message_code"], "authentication_failed");
    let malformed =
        sim.http.get(sim.url("/cybrid/api/customers")).header("authorization", "Token abc").send().await.unwrap();
    assert_eq!(malformed.status(), 401);
    assert_eq!(
        malformed.json::<Value>().await.unwrap(),
        json!({ "status": 401, "error_message": "Authorization header is malformed.", "message_code": "authentication_malformed" })
    );
}

#[tokio::test]
async fn token_endpoints_answer_in_the_oauth_shape() {
    let sim = start().await;
    let body = json!({ "grant_type": "client_credentials", "client_id": ID, "client_secret": SECRET, "scope": "customers:read customers:write" });
    let good = sim.send(Method::POST, "/cybrid/oauth/token", None, Some(body)).await.body;
    assert_eq!(good["token_type"], "bearer");
    assert_eq!(good["expires_in"], 3600);
    assert_eq!(good["scope"], "customers:read customers:write");

    let wrong_secret = json!({ "grant_type": "client_credentials", "client_id": ID, "client_secret": "guess" });
    let refused = sim.send(Method::POST, "/cybrid/oauth/token", None, Some(wrong_secret)).await;
    assert_eq!((refused.status, refused.body["error"].clone()), (401, json!("invalid_client")));
    let wrong_grant = json!({ "grant_type": "password", "client_id": ID, "client_secret": SECRET });
    let refused = sim.send(Method::POST, "/cybrid/oauth/token", None, Some(wrong_grant)).await;
    assert_eq!((refused.status, refused.body["error"].clone()), (400, json!("unsupported_grant_type")));
    let bad_scope =
        json!({ "grant_type": "client_credentials", "client_id": ID, "client_secret": SECRET, "scope": "everything" });
    let refused = sim.send(Method::POST, "/cybrid/oauth/token", None, Some(bad_scope)).await;
    assert_eq!((refused.status, refused.body["error"].clone()), (400, json!("invalid_scope")));

    let paxos = [
        ("grant_type", "client_credentials"),
        ("client_id", ID),
        ("client_secret", SECRET),
        ("scope", "identity:read_identity"),
    ];
    let paxos: Value =
        sim.http.post(sim.url("/paxos/oauth2/token")).form(&paxos).send().await.unwrap().json().await.unwrap();
    assert_eq!(paxos["scope"], "identity:read_identity");
    assert_eq!(paxos["token_type"], "bearer");

    let qolo =
        sim.send(Method::POST, "/qolo/api/v1/auth/login", None, Some(json!({ "loginid": ID, "apikey": "x" }))).await;
    assert_eq!(qolo.status, 401);
}

#[tokio::test]
async fn mbanq_refresh_tokens_renew_once() {
    let sim = start().await;
    let form = [
        ("grant_type", "password"),
        ("username", ID),
        ("password", SECRET),
        ("client_id", ID),
        ("client_secret", SECRET),
    ];
    let post = |form: Vec<(&'static str, String)>| {
        sim.http.post(sim.url("/mbanq/oauth/token")).header("tenantId", "sandbox").form(&form).send()
    };
    let first: Value =
        post(form.iter().map(|(k, v)| (*k, v.to_string())).collect()).await.unwrap().json().await.unwrap();
    assert_eq!(first["scope"], "all");
    let refresh = first["refresh_token"].as_str().unwrap().to_string();
    let renew = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh),
        ("client_id", ID.to_string()),
        ("client_secret", SECRET.to_string()),
    ];
    let second = post(renew.clone()).await.unwrap();
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(sim.get("/mbanq/v1/clients", second["access_token"].as_str().unwrap()).await.status, 200);
    assert_eq!(post(renew).await.unwrap().status(), 400, "a refresh token is used once");
}
