//! Bad input never yields a 5xx or a non-problem body.

use crate::common::{Req, TestApp};
use axum::http::Method;
use serde_json::json;

#[tokio::test]
async fn bad_requests_get_problem_bodies() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let meeting = app.create_meeting(&alice, json!({"title": "M"})).await;
    let big = format!("{{\"title\": \"{}\"}}", "x".repeat(70 * 1024));
    let unknown = uuid::Uuid::new_v4();
    let json_ct = Some("application/json");

    // (name, request, with token, expected status, expected code)
    let cases: Vec<(&str, Req, bool, u16, &str)> = vec![
        (
            "malformed JSON",
            Req::post("/api/v1/meetings").raw(json_ct, "{\"title\":"),
            true,
            400,
            "malformed_json",
        ),
        (
            "not JSON at all",
            Req::post("/api/v1/auth/login").raw(json_ct, "hello"),
            false,
            400,
            "malformed_json",
        ),
        (
            "empty body",
            Req::post("/api/v1/auth/login").raw(json_ct, ""),
            false,
            400,
            "malformed_json",
        ),
        (
            "wrong type",
            Req::post("/api/v1/meetings").json(json!({"title": 5})),
            true,
            422,
            "invalid_body",
        ),
        (
            "missing field",
            Req::post("/api/v1/meetings").json(json!({})),
            true,
            422,
            "invalid_body",
        ),
        (
            "array body",
            Req::post("/api/v1/auth/login").json(json!([1, 2])),
            false,
            422,
            "invalid_body",
        ),
        (
            "null waiting_room",
            Req::post("/api/v1/meetings").json(json!({"title": "t", "waiting_room": null})),
            true,
            422,
            "invalid_body",
        ),
        (
            "no content type",
            Req::post("/api/v1/meetings").raw(None, "{\"title\":\"t\"}"),
            true,
            415,
            "unsupported_media_type",
        ),
        (
            "text content type",
            Req::post("/api/v1/auth/login").raw(Some("text/plain"), "{}"),
            false,
            415,
            "unsupported_media_type",
        ),
        (
            "oversized body",
            Req::post("/api/v1/meetings").raw(json_ct, big.clone()),
            true,
            413,
            "too_large",
        ),
        (
            "oversized by header",
            Req::post("/api/v1/auth/login")
                .header("content-length", "70000")
                .raw(json_ct, big.clone()),
            false,
            413,
            "too_large",
        ),
        (
            "empty title",
            Req::post("/api/v1/meetings").json(json!({"title": "   "})),
            true,
            422,
            "invalid_field",
        ),
        (
            "long title",
            Req::post("/api/v1/meetings").json(json!({"title": "t".repeat(201)})),
            true,
            422,
            "invalid_field",
        ),
        (
            "control char title",
            Req::post("/api/v1/meetings").json(json!({"title": "a\u{0}b"})),
            true,
            422,
            "invalid_field",
        ),
        (
            "long password",
            Req::post("/api/v1/meetings").json(json!({"title": "t", "password": "p".repeat(129)})),
            true,
            422,
            "invalid_field",
        ),
        (
            "unknown meeting",
            Req::get(&format!("/api/v1/meetings/{unknown}")),
            true,
            404,
            "not_found",
        ),
        (
            "id not a uuid",
            Req::get("/api/v1/meetings/not-a-uuid"),
            true,
            404,
            "not_found",
        ),
        (
            "patch unknown",
            Req::new(Method::PATCH, &format!("/api/v1/meetings/{unknown}")).json(json!({})),
            true,
            404,
            "not_found",
        ),
        (
            "unknown invite",
            Req::get("/api/v1/invites/AAAAAAAAAAAAAAAAAAAAAA"),
            false,
            404,
            "not_found",
        ),
        (
            "weird invite code",
            Req::get("/api/v1/invites/%00%ff..%2f"),
            false,
            404,
            "not_found",
        ),
        (
            "long invite code",
            Req::get(&format!("/api/v1/invites/{}", "a".repeat(5000))),
            false,
            404,
            "not_found",
        ),
        (
            "unknown route",
            Req::get("/api/v1/nope"),
            false,
            404,
            "not_found",
        ),
        (
            "unknown nested route",
            Req::get(&format!("/api/v1/meetings/{meeting}/nope")),
            true,
            404,
            "not_found",
        ),
        (
            "other API version",
            Req::get("/api/v2/meetings"),
            false,
            404,
            "not_found",
        ),
        ("bare /api", Req::get("/api"), false, 404, "not_found"),
        (
            "wrong method",
            Req::new(Method::PUT, "/api/v1/meetings"),
            true,
            405,
            "method_not_allowed",
        ),
        (
            "GET on login",
            Req::get("/api/v1/auth/login"),
            false,
            405,
            "method_not_allowed",
        ),
        (
            "bad expires_at",
            Req::post(&format!("/api/v1/meetings/{meeting}/invites"))
                .json(json!({"expires_at": "soon"})),
            true,
            422,
            "invalid_field",
        ),
        (
            "guest name too long",
            Req::post("/api/v1/invites/AAAAAAAAAAAAAAAAAAAAAA/guest-token")
                .json(json!({"display_name": "n".repeat(65)})),
            false,
            422,
            "invalid_field",
        ),
        (
            "oversized login fields",
            Req::post("/api/v1/auth/login")
                .json(json!({"username": "u".repeat(10_000), "password": "p"})),
            false,
            401,
            "invalid_credentials",
        ),
    ];
    for (name, mut req, with_token, status, code) in cases {
        if with_token {
            req = req.bearer(&alice);
        }
        let answer = app.send(req).await;
        assert!(answer.status.as_u16() < 500, "{name}: {answer:?}");
        assert_eq!(answer.status.as_u16(), status, "{name}: {answer:?}");
        assert_eq!(
            answer.header("content-type"),
            "application/problem+json",
            "{name}"
        );
        assert_eq!(answer.body["code"], code, "{name}: {answer:?}");
    }
}

#[tokio::test]
async fn a_trickled_request_is_cut_off() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let app = TestApp::with_config(&[("http.request_timeout", "1s")]).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, app.router.clone()).into_future());

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Announces 100 bytes, sends 10, then goes quiet.
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"username",
        )
        .await
        .unwrap();
    let mut response = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            response.extend_from_slice(&buf[..n]);
            if n == 0 || response.windows(4).any(|w| w == b"\r\n\r\n") && response.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server answered within 30 s");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains("application/problem+json") && text.contains("\"code\":\"timeout\""),
        "{text}"
    );
    server.abort();
}

#[tokio::test]
async fn no_route_answers_5xx_to_junk() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let meeting = app.create_meeting(&alice, json!({"title": "M"})).await;
    let code = app.create_invite(&alice, &meeting).await;
    let routes = [
        (Method::POST, "/api/v1/auth/login".to_owned()),
        (Method::POST, "/api/v1/auth/refresh".to_owned()),
        (Method::POST, "/api/v1/auth/logout".to_owned()),
        (Method::POST, "/api/v1/meetings".to_owned()),
        (Method::PATCH, format!("/api/v1/meetings/{meeting}")),
        (Method::POST, format!("/api/v1/meetings/{meeting}/invites")),
        (
            Method::POST,
            format!("/api/v1/meetings/{meeting}/join-token"),
        ),
        (Method::POST, format!("/api/v1/invites/{code}/guest-token")),
        (
            Method::POST,
            format!("/api/v1/invites/{code}/guest-token/refresh"),
        ),
    ];
    let junk: [&[u8]; 10] = [
        b"",
        b"null",
        b"[]",
        b"\"string\"",
        b"{\"title\": {\"nested\": [1, 2, {}]}}",
        b"{\"display_name\": \"\\u0000\", \"password\": 12}",
        b"{\"expires_at\": \"9999-99-99T99:99:99Z\"}",
        b"{\"expires_at\": \"+275760-09-13T00:00:00Z\"}",
        b"\xff\xfe\x00garbage",
        b"{\"title\": \"\\ud800\"}",
    ];
    for (method, path) in &routes {
        for body in junk {
            for token in [Some(alice.as_str()), None, Some("x.y.z")] {
                let mut req =
                    Req::new(method.clone(), path).raw(Some("application/json"), body.to_vec());
                if let Some(token) = token {
                    req = req.bearer(token);
                }
                let answer = app.send(req).await;
                let status = answer.status.as_u16();
                assert!(
                    status < 500,
                    "{method} {path} {:?}: {answer:?}",
                    String::from_utf8_lossy(body)
                );
                if status >= 400 {
                    assert_eq!(
                        answer.header("content-type"),
                        "application/problem+json",
                        "{method} {path}"
                    );
                }
            }
        }
    }
}
