//! The static web client, its SPA fallback, the placeholder page and security headers.

use crate::common::{TempDir, get_raw, test_config};
use axum::http::StatusCode;
use plenum_server::{AppState, app};

async fn app_with_assets(assets: Option<&std::path::Path>, dir: &TempDir) -> axum::Router {
    let mut extra = Vec::new();
    let assets_str;
    if let Some(path) = assets {
        assets_str = path.to_str().unwrap().to_owned();
        extra.push(("web.assets_dir", assets_str.as_str()));
    }
    let config = test_config(dir.path(), &extra);
    let store = plenum_server::serve::open_store(&config).await.unwrap();
    let state: AppState = plenum_server::serve::build_state(config, store)
        .await
        .unwrap();
    app(state)
}

async fn get(router: &axum::Router, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let (status, headers, body) = get_raw(router, path).await;
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn serves_the_client_with_spa_fallback() {
    let dir = TempDir::new();
    let assets = dir.path().join("dist");
    std::fs::create_dir_all(assets.join("assets")).unwrap();
    std::fs::write(
        assets.join("index.html"),
        "<!doctype html><title>Plenum app</title>",
    )
    .unwrap();
    std::fs::write(assets.join("assets/app.js"), "console.log('plenum')").unwrap();
    let router = app_with_assets(Some(&assets), &dir).await;

    // (path, status, body contains, content type starts with)
    let cases = [
        ("/", 200, "Plenum app", "text/html"),
        ("/index.html", 200, "Plenum app", "text/html"),
        ("/assets/app.js", 200, "console.log", "text/javascript"),
        (
            "/m/7d0c3b9e-7f57-4a4e-9d3c-1f0e8f4b9a10",
            200,
            "Plenum app",
            "text/html",
        ),
        ("/j/abcDEF123_-xyz", 200, "Plenum app", "text/html"),
        ("/../../etc/passwd", 200, "Plenum app", "text/html"),
        (
            "/api/v2/anything",
            404,
            "not_found",
            "application/problem+json",
        ),
    ];
    for (path, status, contains, content_type) in cases {
        let (got, headers, body) = get(&router, path).await;
        assert_eq!(got.as_u16(), status, "{path}");
        assert!(body.contains(contains), "{path}: {body}");
        let ct = headers.get("content-type").unwrap().to_str().unwrap();
        assert!(ct.starts_with(content_type), "{path}: {ct}");
        let csp = headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(headers.get("referrer-policy").unwrap(), "no-referrer");
    }
}

#[tokio::test]
async fn missing_client_shows_how_to_build_it() {
    let dir = TempDir::new();
    let router = app_with_assets(None, &dir).await;
    for path in ["/", "/m/x", "/j/y"] {
        let (status, headers, body) = get(&router, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            body.contains("not built") && body.contains("npm run build"),
            "{body}"
        );
        assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    }
    // The API is unaffected.
    let (status, _, body) = get(&router, "/api/v1/config").await;
    assert_eq!(status, StatusCode::OK);
    let config: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(config["product_name"], "Plenum");
    assert_eq!(config["version"], env!("CARGO_PKG_VERSION"));
}
