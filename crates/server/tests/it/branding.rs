//! `[branding]`: the config checks, `/branding.css`, `/branding/logo` and the branding in
//! `GET /api/v1/config`.

use crate::common::{TempDir, get_raw as get, test_config};
use axum::http::{HeaderMap, StatusCode};
use plenum_server::config::{Layer, Origin, RawValue};
use plenum_server::{AppState, Config, app};

const SVG: &str = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\"/></svg>\n";

async fn router(dir: &TempDir, extra: &[(&str, &str)]) -> axum::Router {
    let config = test_config(dir.path(), extra);
    let store = plenum_server::serve::open_store(&config).await.unwrap();
    let state: AppState = plenum_server::serve::build_state(config, store)
        .await
        .unwrap();
    app(state)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn without_branding_the_defaults_show_and_nothing_breaks() {
    let dir = TempDir::new();
    let router = router(&dir, &[]).await;
    let (status, headers, body) = get(&router, "/api/v1/config").await;
    assert_eq!(status, StatusCode::OK);
    let config: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(config["product_name"], "Plenum");
    assert!(config.get("logo_url").is_none(), "{config}");
    assert!(config.get("login_text").is_none(), "{config}");
    assert!(header(&headers, "cache-control").contains("no-store"));

    let (status, headers, body) = get(&router, "/branding.css").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "text/css; charset=utf-8");
    let css = String::from_utf8(body).unwrap();
    assert!(!css.contains('{'), "no rules without colours: {css}");

    let (status, headers, _) = get(&router, "/branding/logo").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&headers, "content-type"), "application/problem+json");
}

#[tokio::test]
async fn a_configured_brand_is_served() {
    let dir = TempDir::new();
    let logo = dir.path().join("logo.svg");
    std::fs::write(&logo, SVG).unwrap();
    let router = router(
        &dir,
        &[
            ("branding.product_name", "  Stadtkonferenz  "),
            ("branding.logo_file", logo.to_str().unwrap()),
            ("branding.color_primary", "#004B87"),
            ("branding.color_primary_dark", "#7ab8f5"),
            ("branding.login_text_de", "Anmeldung mit dem Dienstkonto."),
            ("branding.login_text_en", "Sign in with your work account."),
        ],
    )
    .await;
    let (_, _, body) = get(&router, "/api/v1/config").await;
    let config: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(config["product_name"], "Stadtkonferenz");
    assert_eq!(config["logo_url"], "/branding/logo");
    assert_eq!(config["login_text"]["de"], "Anmeldung mit dem Dienstkonto.");
    assert_eq!(
        config["login_text"]["en"],
        "Sign in with your work account."
    );

    let (status, headers, body) = get(&router, "/branding/logo").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "image/svg+xml");
    assert_eq!(body, SVG.as_bytes());
    // An SVG opened as a document runs nothing.
    let csp = header(&headers, "content-security-policy");
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");

    let (_, _, body) = get(&router, "/branding.css").await;
    let css = String::from_utf8(body).unwrap();
    assert!(css.contains("--accent: #004b87;"), "{css}");
    assert!(css.contains("--on-accent: #ffffff;"), "{css}");
    assert!(
        css.contains("html:root[data-theme='dark'] {\n  --accent: #7ab8f5;"),
        "{css}"
    );
}

#[tokio::test]
async fn a_png_logo_is_served_as_png() {
    let dir = TempDir::new();
    let logo = dir.path().join("Logo.PNG");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0u8; 64]);
    std::fs::write(&logo, &png).unwrap();
    let router = router(&dir, &[("branding.logo_file", logo.to_str().unwrap())]).await;
    let (status, headers, body) = get(&router, "/branding/logo").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "image/png");
    assert_eq!(body, png);
}

/// The error for one set of branding keys.
fn config_error(dir: &TempDir, keys: &[(&str, &str)]) -> plenum_server::config::ConfigError {
    let mut layer = Layer::default();
    let data = dir.path().join("data");
    layer.set(
        "store.data_dir",
        RawValue::Text(data.to_str().unwrap().into()),
        Origin::Default,
    );
    for (key, value) in keys {
        layer.set(
            key,
            RawValue::Text((*value).into()),
            Origin::Env(format!("PLENUM_{}", key.to_uppercase().replace('.', "__"))),
        );
    }
    Config::from_layer(&layer).expect_err("must be refused")
}

/// Branding keys, the key the error must name, and words its reason must contain.
type RefusedCase<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

#[test]
fn bad_branding_is_refused_naming_the_key_and_the_reason() {
    let dir = TempDir::new();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let html_as_svg = write("page.svg", b"<html><script>alert(1)</script></html>");
    let svg_as_png = write("logo.png", SVG.as_bytes());
    let gif = write("logo.gif", b"GIF89a");
    let huge = write("huge.svg", &[b' '; 256 * 1024 + 1]);
    let missing = dir.path().join("none.svg").to_str().unwrap().to_owned();
    let long_name = "x".repeat(65);
    let long_text = "y".repeat(1001);
    let cases: Vec<RefusedCase> = vec![
        (
            vec![("branding.logo_file", &html_as_svg)],
            "branding.logo_file",
            "does not contain SVG",
        ),
        (
            vec![("branding.logo_file", &svg_as_png)],
            "branding.logo_file",
            "does not contain PNG",
        ),
        (
            vec![("branding.logo_file", &gif)],
            "branding.logo_file",
            ".png or .svg",
        ),
        (
            vec![("branding.logo_file", &huge)],
            "branding.logo_file",
            "more than the 262144",
        ),
        (
            vec![("branding.logo_file", &missing)],
            "branding.logo_file",
            "cannot read",
        ),
        (
            vec![("branding.color_primary", "red")],
            "branding.color_primary",
            "#rrggbb",
        ),
        (
            vec![("branding.color_primary", "#fff}body{x:1")],
            "branding.color_primary",
            "#rrggbb",
        ),
        // Yellow with white text, and as link colour on white: unreadable.
        (
            vec![("branding.color_primary", "#ffd500")],
            "branding.color_primary",
            "WCAG AA",
        ),
        (
            vec![
                ("branding.color_primary", "#004b87"),
                ("branding.color_on_primary", "#333333"),
            ],
            "branding.color_on_primary",
            "WCAG AA",
        ),
        (
            vec![("branding.color_on_primary_dark", "#000000")],
            "branding.color_on_primary_dark",
            "branding.color_primary_dark, which is not set",
        ),
        (
            vec![("branding.color_primary_dark", "#0a0a0a")],
            "branding.color_primary_dark",
            "WCAG AA",
        ),
        (
            vec![("branding.product_name", &long_name)],
            "branding.product_name",
            "1 to 64",
        ),
        (
            vec![("branding.product_name", "  ")],
            "branding.product_name",
            "1 to 64",
        ),
        (
            vec![("branding.product_name", "A\u{7}B")],
            "branding.product_name",
            "control",
        ),
        (
            vec![("branding.login_text_de", "Hallo")],
            "branding.login_text_en",
            "English too",
        ),
        (
            vec![("branding.login_text_en", "Hello")],
            "branding.login_text_de",
            "German too",
        ),
        (
            vec![
                ("branding.login_text_de", &long_text),
                ("branding.login_text_en", "Hi"),
            ],
            "branding.login_text_de",
            "1 to 1000",
        ),
    ];
    for (keys, key, reason) in cases {
        let error = config_error(&dir, &keys);
        assert_eq!(error.key, key, "{keys:?}: {error}");
        assert!(error.reason.contains(reason), "{keys:?}: {error}");
        assert!(
            matches!(&error.origin, Origin::Env(name) if name.starts_with("PLENUM_BRANDING__")),
            "{keys:?}: {error}"
        );
    }
}

#[test]
fn the_branding_section_reads_from_a_file() {
    let text = "[branding]\nproduct_name = \"Rathaus\"\ncolor_primary = \"#1a4d2e\"\nunknown = 1\n";
    let error = Layer::from_toml(text, Origin::File("plenum.toml".into())).unwrap_err();
    assert_eq!(error.key, "branding.unknown");
    let layer = Layer::from_toml(&text.replace("unknown = 1\n", ""), Origin::Default).unwrap();
    let dir = TempDir::new();
    let data = dir.path().join("data");
    let mut layer = layer;
    layer.set(
        "store.data_dir",
        RawValue::Text(data.to_str().unwrap().into()),
        Origin::Default,
    );
    let config = Config::from_layer(&layer).unwrap();
    assert_eq!(config.branding.product_name(), "Rathaus");
    assert_eq!(
        config.branding.colors.primary,
        Some(plenum_server::config::Rgb(0x1a, 0x4d, 0x2e))
    );
}
