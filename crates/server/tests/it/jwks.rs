//! `GET /.well-known/jwks.json`: the public keys that verify Plenum's tokens, including a
//! previous signing key kept during a key rotation.

use crate::common::{Req, TempDir, TestApp};
use plenum_server::tokens::{TokenService, generate_pem};
use serde_json::Value;
use std::time::Duration;

/// The `kid`s of the published key set, after checking every key's shape.
#[track_caller]
fn published_kids(jwks: &Value) -> Vec<String> {
    let keys = jwks["keys"].as_array().expect("a `keys` array");
    keys.iter()
        .map(|key| {
            assert_eq!(key["kty"], "OKP", "{key}");
            assert_eq!(key["crv"], "Ed25519", "{key}");
            assert_eq!(key["alg"], "EdDSA", "{key}");
            assert_eq!(key["use"], "sig", "{key}");
            assert!(key.get("d").is_none(), "no private part: {key}");
            let x = key["x"].as_str().expect("x");
            let public =
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, x)
                    .expect("x is base64url");
            assert_eq!(public.len(), 32, "an Ed25519 public key: {key}");
            key["kid"].as_str().expect("kid").to_owned()
        })
        .collect()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .unwrap()
        .kid
        .expect("a kid in the token header")
}

#[tokio::test]
async fn the_key_set_lists_the_key_of_issued_tokens() {
    let app = TestApp::new().await;
    let answer = app.send(Req::get("/.well-known/jwks.json")).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        answer
            .header("content-type")
            .starts_with("application/json")
    );
    let kids = published_kids(&answer.body);
    assert_eq!(kids.len(), 1, "{kids:?}");
    let token = app.login("alice").await;
    assert_eq!(kid_of(&token), kids[0]);
}

#[tokio::test]
async fn a_previous_key_is_listed_and_its_tokens_still_verify() {
    let dir = TempDir::new();
    let previous_pem = generate_pem();
    let previous_file = dir.path().join("previous.pem");
    std::fs::write(&previous_file, &previous_pem).unwrap();
    let app = TestApp::with_config(&[(
        "tokens.previous_signing_key_files",
        previous_file.to_str().unwrap(),
    )])
    .await;
    let previous = TokenService::from_pem(
        &previous_pem,
        app.state.tokens.issuer(),
        Duration::from_secs(900),
    )
    .unwrap();

    let kids = published_kids(&app.send(Req::get("/.well-known/jwks.json")).await.body);
    assert_eq!(kids.len(), 2, "{kids:?}");
    let current = app.login("alice").await;
    assert_eq!(kid_of(&current), kids[0], "the current key comes first");
    assert_eq!(kids[1], previous.key_id());
    assert_ne!(kids[0], kids[1]);

    // A token the previous key signed before the rotation is still accepted…
    let claims = app.state.tokens.verify(&current).unwrap();
    let expires = time::OffsetDateTime::from_unix_timestamp(claims.exp).unwrap();
    let old_token = previous.sign(&claims, expires).token;
    assert_eq!(kid_of(&old_token), previous.key_id());
    let me = app.send(Req::get("/api/v1/me").bearer(&old_token)).await;
    assert_eq!(me.status, 200, "{me:?}");
    // …while a key that is not listed is not.
    let stranger = TokenService::from_pem(
        &generate_pem(),
        app.state.tokens.issuer(),
        Duration::from_secs(900),
    )
    .unwrap()
    .sign(&claims, expires)
    .token;
    app.send(Req::get("/api/v1/me").bearer(&stranger))
        .await
        .assert_problem(401, "token_invalid_signature");
}
