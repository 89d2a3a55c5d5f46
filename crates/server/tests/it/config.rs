//! Configuration layering and errors that name the file, the key and the reason.

use crate::common::TempDir;
use plenum_server::config::{Config, Layer, LogFormat, Origin, RawValue, Sources};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn cli(pairs: &[(&str, &str, &str)]) -> Layer {
    let mut layer = Layer::default();
    for (key, flag, value) in pairs {
        layer.set(
            key,
            RawValue::Text((*value).into()),
            Origin::Cli((*flag).into()),
        );
    }
    layer
}

#[test]
fn defaults_are_complete_and_local() {
    let config = Config::load(Sources::default()).unwrap();
    assert_eq!(config.http.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(config.http.public_url, "http://127.0.0.1:8080");
    assert!(!config.http.insecure_cookies);
    assert_eq!(config.http.request_timeout, Duration::from_secs(30));
    assert_eq!(config.media.bind.to_string(), "127.0.0.1:10000");
    assert_eq!(
        config.media.announce,
        vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(
        config.media.threads,
        std::thread::available_parallelism().unwrap(),
        "one media thread per core"
    );
    assert_eq!(config.store.data_dir, PathBuf::from("./data"));
    assert_eq!(config.store.database_url, "sqlite://./data/plenum.db");
    assert_eq!(config.tokens.access_lifetime, Duration::from_secs(900));
    assert_eq!(
        config.tokens.refresh_lifetime,
        Duration::from_secs(12 * 3600)
    );
    assert_eq!(
        config.tokens.signing_key_file,
        PathBuf::from("./data/signing-key.pem")
    );
    assert_eq!(config.web.assets_dir, PathBuf::from("web/dist"));
    assert_eq!(config.log.format, LogFormat::Text);
    assert_eq!(config.log.level, "info");
}

#[test]
fn layers_override_in_order() {
    let dir = TempDir::new();
    let file = write(
        &dir,
        "plenum.toml",
        r#"
[http]
bind = "127.0.0.1:9000"
[media]
announce = ["192.0.2.10", "2001:db8::1"]
threads = 3
[tokens]
access_lifetime = "10m"
refresh_lifetime = 7200
[log]
format = "json"
level = "debug"
"#,
    );
    let secret = write(&dir, "db-url", "sqlite:///var/lib/plenum/x.db\n");

    // File only.
    let from_file = Config::load(Sources {
        file: Some(file.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(from_file.http.bind.to_string(), "127.0.0.1:9000");
    assert_eq!(
        from_file.http.public_url, "http://127.0.0.1:9000",
        "derived from the bind"
    );
    assert_eq!(from_file.media.announce.len(), 2);
    assert_eq!(from_file.media.threads.get(), 3);
    assert_eq!(from_file.tokens.access_lifetime, Duration::from_secs(600));
    assert_eq!(from_file.tokens.refresh_lifetime, Duration::from_secs(7200));
    assert_eq!(from_file.log.format, LogFormat::Json);

    // Environment beats the file; *_FILE reads a secret; lists split on commas.
    let environment = env(&[
        ("PLENUM_HTTP__BIND", "127.0.0.1:9100"),
        ("PLENUM_TOKENS__ACCESS_LIFETIME", "20m"),
        ("PLENUM_MEDIA__ANNOUNCE", "198.51.100.7, 198.51.100.8"),
        ("PLENUM_STORE__DATABASE_URL_FILE", secret.to_str().unwrap()),
        ("PLENUM_HTTP__INSECURE_COOKIES", "false"),
        ("PLENUM_CONFIG", "/not/a/key/and/ignored"),
        ("HOME", "/root"),
    ]);
    let from_env = Config::load(Sources {
        file: Some(file.clone()),
        env: environment.clone(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(from_env.http.bind.to_string(), "127.0.0.1:9100");
    assert_eq!(from_env.tokens.access_lifetime, Duration::from_secs(1200));
    assert_eq!(
        from_env.media.announce,
        vec![
            "198.51.100.7".parse::<IpAddr>().unwrap(),
            "198.51.100.8".parse().unwrap()
        ]
    );
    assert_eq!(from_env.store.database_url, "sqlite:///var/lib/plenum/x.db");
    assert_eq!(
        from_env.log.level, "debug",
        "untouched keys keep the file's value"
    );

    // Flags beat the environment.
    let flags = cli(&[
        ("http.bind", "--http-bind", "127.0.0.1:9200"),
        ("store.data_dir", "--data-dir", "/srv/plenum"),
        (
            "http.public_url",
            "--public-url",
            "https://meet.example.org/",
        ),
    ]);
    let from_cli = Config::load(Sources {
        file: Some(file),
        env: environment,
        cli: flags,
    })
    .unwrap();
    assert_eq!(from_cli.http.bind.to_string(), "127.0.0.1:9200");
    assert_eq!(from_cli.http.public_url, "https://meet.example.org");
    assert_eq!(from_cli.store.data_dir, PathBuf::from("/srv/plenum"));
    assert_eq!(
        from_cli.tokens.signing_key_file,
        PathBuf::from("/srv/plenum/signing-key.pem")
    );
    assert_eq!(
        from_cli.store.database_url, "sqlite:///var/lib/plenum/x.db",
        "explicit URL kept"
    );
}

/// (file name, file text, environment, parts the message must contain)
type ErrorCase = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<String>,
);

#[test]
fn errors_name_the_source_the_key_and_the_reason() {
    let dir = TempDir::new();
    let path = |name: &str| dir.path().join(name).display().to_string();
    // (file name, file text, env, expected message parts)
    let cases: Vec<ErrorCase> = vec![
        (
            "long.toml",
            "[tokens]\naccess_lifetime = \"2h\"\n",
            vec![],
            vec![format!("config error in {}: tokens.access_lifetime: 2h exceeds the maximum of 1h", path("long.toml"))],
        ),
        (
            "unknown.toml",
            "[http]\nbindd = \"127.0.0.1:1\"\n",
            vec![],
            vec![format!("config error in {}: http.bindd: unknown key", path("unknown.toml"))],
        ),
        (
            "section.toml",
            "[htp]\nbind = \"127.0.0.1:1\"\n",
            vec![],
            vec![path("section.toml"), "htp.bind: unknown key".into()],
        ),
        (
            "toplevel.toml",
            "bind = \"127.0.0.1:1\"\n",
            vec![],
            vec![path("toplevel.toml"), "bind: unknown key".into()],
        ),
        (
            "syntax.toml",
            "[http]\nbind = \n",
            vec![],
            vec![path("syntax.toml"), "TOML syntax".into(), "line 2".into()],
        ),
        (
            "type.toml",
            "[http]\nbind = 8080\n",
            vec![],
            vec![path("type.toml"), "http.bind: expected a string, found integer".into()],
        ),
        (
            "addr.toml",
            "[media]\nbind = \"localhost\"\n",
            vec![],
            vec![path("addr.toml"), "media.bind".into(), "not an address".into()],
        ),
        (
            "announce.toml",
            "[media]\nbind = \"0.0.0.0:10000\"\n",
            vec![],
            vec![path("announce.toml"), "media.announce: must list the addresses".into()],
        ),
        (
            "announce-ip.toml",
            "[media]\nannounce = [\"not-an-ip\"]\n",
            vec![],
            vec![path("announce-ip.toml"), "media.announce: \"not-an-ip\" is not an IP address".into()],
        ),
        (
            "threads-zero.toml",
            "[media]\nthreads = 0\n",
            vec![],
            vec![path("threads-zero.toml"), "media.threads: 0 is not within 1..=256".into()],
        ),
        (
            "threads-ports.toml",
            "[media]\nbind = \"127.0.0.1:65535\"\nthreads = 2\n",
            vec![],
            vec![path("threads-ports.toml"), "media.threads: 2 threads need UDP ports 65535..=65536".into()],
        ),
        (
            "cookies.toml",
            "[http]\npublic_url = \"http://meet.example.org\"\n",
            vec![],
            vec![path("cookies.toml"), "http.public_url".into(), "http.insecure_cookies = true".into()],
        ),
        (
            "unspecified.toml",
            "[http]\nbind = \"0.0.0.0:8080\"\n",
            vec![],
            vec![path("unspecified.toml"), "http.public_url: must be set".into()],
        ),
        (
            "timeout.toml",
            "[http]\nrequest_timeout = \"0s\"\n",
            vec![],
            vec![format!(
                "config error in {}: http.request_timeout: 0s is outside 1s..10m",
                path("timeout.toml")
            )],
        ),
        (
            "format.toml",
            "[log]\nformat = \"xml\"\n",
            vec![],
            vec![path("format.toml"), "log.format: expected text or json".into()],
        ),
        (
            "refresh.toml",
            "[tokens]\nrefresh_lifetime = \"5m\"\n",
            vec![],
            vec![path("refresh.toml"), "tokens.refresh_lifetime: 5m is shorter than tokens.access_lifetime (15m)".into()],
        ),
        (
            "zero.toml",
            "[tokens]\naccess_lifetime = \"0s\"\n",
            vec![],
            vec![path("zero.toml"), "tokens.access_lifetime: 0s is below the minimum".into()],
        ),
        (
            "mysql.toml",
            "[store]\ndatabase_url = \"mysql://u:pw@localhost/plenum\"\n",
            vec![],
            vec![format!(
                "config error in {}: store.database_url: mysql://u:***@localhost/plenum is neither a sqlite:// nor a postgres:// URL",
                path("mysql.toml")
            )],
        ),
        (
            "ok.toml",
            "",
            vec![("PLENUM_TOKENS__ACCESS_LIFETIME", "3h")],
            vec!["config error in environment variable PLENUM_TOKENS__ACCESS_LIFETIME: tokens.access_lifetime: 3h exceeds the maximum of 1h".into()],
        ),
        (
            "ok2.toml",
            "",
            vec![("PLENUM_HTTP__NOPE", "1")],
            vec!["environment variable PLENUM_HTTP__NOPE: http.nope: unknown key".into()],
        ),
        (
            "ok3.toml",
            "",
            vec![("PLENUM_STORE__DATABASE_URL_FILE", "/nonexistent/secret")],
            vec!["PLENUM_STORE__DATABASE_URL_FILE: store.database_url: cannot read /nonexistent/secret".into()],
        ),
        (
            "ok4.toml",
            "",
            vec![("PLENUM_HTTP__INSECURE_COOKIES", "maybe")],
            vec!["http.insecure_cookies: expected true or false".into()],
        ),
    ];
    for (name, text, environment, parts) in cases {
        let file = write(&dir, name, text);
        let error = Config::load(Sources {
            file: Some(file),
            env: env(&environment),
            ..Default::default()
        })
        .expect_err(name)
        .to_string();
        for part in parts {
            assert!(error.contains(&part), "{name}: {error:?} lacks {part:?}");
        }
    }

    // A flag's error names the flag.
    let error = Config::load(Sources {
        cli: cli(&[("http.bind", "--http-bind", "nowhere")]),
        ..Default::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with("config error in command-line flag --http-bind: http.bind:"),
        "{error}"
    );
    // A missing file is an error too.
    let error = Config::load(Sources {
        file: Some(dir.path().join("absent.toml")),
        ..Default::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("absent.toml") && error.contains("cannot read"),
        "{error}"
    );
}

#[test]
fn insecure_cookies_allow_plain_http_on_a_lan() {
    let environment = env(&[
        ("PLENUM_HTTP__PUBLIC_URL", "http://10.1.2.3:8080"),
        ("PLENUM_HTTP__INSECURE_COOKIES", "true"),
    ]);
    let config = Config::load(Sources {
        env: environment,
        ..Default::default()
    })
    .unwrap();
    assert!(config.http.insecure_cookies);
    // https anywhere and http on loopback need nothing special.
    for url in [
        "https://meet.example.org",
        "http://localhost:8080",
        "http://[::1]:8080",
    ] {
        let config = Config::load(Sources {
            env: env(&[("PLENUM_HTTP__PUBLIC_URL", url)]),
            ..Default::default()
        });
        assert!(config.is_ok(), "{url}: {config:?}");
    }
}
