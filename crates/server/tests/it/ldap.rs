//! LDAP login against a real OpenLDAP: Debian's slapd, started per test with the config
//! and directory in tests/fixtures/ldap/, a test CA made here, StartTLS and LDAPS.

use crate::common::{Answer, Req, TempDir, TestApp};
use crate::processes::{KillOnDrop, app_from_toml, free_port, repo_root};
use axum::http::StatusCode;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SUFFIX: &str = "dc=example,dc=org";

/// A running slapd with the test directory loaded.
struct Directory {
    _slapd: KillOnDrop,
    dir: TempDir,
    starttls_url: String,
    ldaps_url: String,
}

impl Directory {
    fn start() -> Self {
        let dir = TempDir::new();
        let path = dir.path();
        std::fs::create_dir_all(path.join("db")).unwrap();
        write_test_pki(path);
        let template =
            std::fs::read_to_string(repo_root().join("tests/fixtures/ldap/slapd.conf.in")).unwrap();
        let conf = path.join("slapd.conf");
        std::fs::write(&conf, template.replace("@DIR@", path.to_str().unwrap())).unwrap();
        let (plain, tls) = (free_port(), free_port());
        let ldapi = format!("ldapi://{}", percent_encode(&path.join("ldapi")));
        let listen = format!("ldap://127.0.0.1:{plain}/ ldaps://127.0.0.1:{tls}/ {ldapi}");
        let slapd = Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(&conf)
            .args(["-h", &listen, "-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("slapd runs");
        let slapd = KillOnDrop(slapd);
        load_directory(&ldapi);
        Self {
            _slapd: slapd,
            starttls_url: format!("ldap://127.0.0.1:{plain}"),
            ldaps_url: format!("ldaps://127.0.0.1:{tls}"),
            dir,
        }
    }

    fn ca_file(&self) -> String {
        self.dir.path().join("ca.pem").display().to_string()
    }
}

/// Loads the test directory with ldapadd over the ldapi socket, retrying while slapd is
/// still starting. ldapadd (not slapadd) so the memberof overlay sees every group.
fn load_directory(ldapi: &str) {
    let ldif = repo_root().join("tests/fixtures/ldap/directory.ldif");
    let started = Instant::now();
    loop {
        let output = Command::new("ldapadd")
            .args(["-x", "-H", ldapi, "-D", &format!("cn=admin,{SUFFIX}")])
            .args(["-w", "test-admin-pw", "-f"])
            .arg(&ldif)
            .output()
            .expect("ldapadd runs");
        if output.status.success() {
            return;
        }
        let connecting = String::from_utf8_lossy(&output.stderr).contains("Can't contact");
        assert!(
            connecting && started.elapsed() < Duration::from_secs(15),
            "ldapadd failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A test CA and a certificate for 127.0.0.1 it signed, as slapd.conf.in expects them.
fn write_test_pki(dir: &Path) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Plenum LDAP test CA");
    std::fs::write(dir.join("ca.pem"), ca.self_signed(&ca_key).unwrap().pem()).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &Issuer::new(ca, ca_key))
        .unwrap();
    std::fs::write(dir.join("server.pem"), server.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
}

fn percent_encode(path: &Path) -> String {
    url::form_urlencoded::byte_serialize(path.to_str().unwrap().as_bytes()).collect::<String>()
}

/// A Plenum instance whose `[ldap]` section is `ldap` (TOML) plus the common keys.
async fn plenum(ldap: &str) -> TestApp {
    let text = format!(
        r#"
[ldap]
bind_dn = "cn=plenum-svc,ou=services,{SUFFIX}"
bind_password = "test-svc-pw"
user_base = "ou=people,{SUFFIX}"
user_filter = "(&(objectClass=inetOrgPerson)(uid={{username}}))"
roles = [
  {{ group = "cn=plenum-admins,ou=groups,{SUFFIX}", role = "instance_admin" }},
  {{ group = "cn=plenum-auditors,ou=groups,{SUFFIX}", role = "auditor" }},
  {{ group = "CN=Plenum-Users, OU=Groups, {SUFFIX}", role = "user" }},
]
{ldap}
"#
    );
    app_from_toml(&text).await
}

async fn ldap_login(app: &TestApp, username: &str, password: &str) -> Answer {
    app.send(
        Req::post("/api/v1/auth/ldap/login")
            .json(json!({"username": username, "password": password})),
    )
    .await
}

/// Logs in and returns the session's user.
async fn user(app: &TestApp, username: &str, password: &str) -> Value {
    let answer = ldap_login(app, username, password).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert!(answer.refresh_cookie().is_some());
    answer.body["user"].clone()
}

#[tokio::test]
async fn starttls_group_search_maps_nested_groups_to_roles() {
    let directory = Directory::start();
    let app = plenum(&format!(
        r#"url = "{}"
ca_file = "{}"
group_membership = "group_search"
group_base = "ou=groups,{SUFFIX}"
nested_groups_depth = 2
"#,
        directory.starttls_url,
        directory.ca_file()
    ))
    .await;

    let alice = user(&app, "alice", "alice-ldap-pw").await;
    assert_eq!(
        (alice["role"].as_str(), alice["display_name"].as_str()),
        (Some("instance_admin"), Some("Alice Admin"))
    );
    assert_eq!(alice["username"], "alice@ldap");
    // bob is in engineering, which is a member of plenum-users.
    assert_eq!(user(&app, "bob", "bob-ldap-pw").await["role"], "user");
    assert_eq!(
        user(&app, "carol", "carol-ldap-pw").await["role"],
        "auditor"
    );
    // dave's only group is mapped to nothing: role none, no rights.
    let answer = ldap_login(&app, "dave", "dave-ldap-pw").await;
    assert_eq!(answer.body["user"]["role"], "none");
    let token = answer.body["access_token"].as_str().unwrap();
    let refused = app
        .send(
            Req::post("/api/v1/meetings")
                .bearer(token)
                .json(json!({"title": "x"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The same person logs in again: same account, linked by entryUUID.
    assert_eq!(
        user(&app, "alice", "alice-ldap-pw").await["id"],
        alice["id"]
    );

    // Filter injection, an empty password (an unauthenticated bind) and unknown people
    // are all just wrong credentials.
    for (username, password) in [
        ("*", "alice-ldap-pw"),
        ("alice)(uid=*", "alice-ldap-pw"),
        ("alice", ""),
        ("nobody", "x"),
    ] {
        ldap_login(&app, username, password)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    // The tenant's policy switches LDAP off: no longer offered, and refused.
    let offered = app.send(Req::get("/api/v1/auth/providers")).await;
    assert_eq!(offered.body["ldap"], true);
    let mut policy = plenum_server::policy::of_tenant(&app.state, "default")
        .await
        .unwrap();
    policy.identity_sources.retain(|source| source != "ldap");
    app.state
        .store
        .set_setting(
            &plenum_server::policy::key("default"),
            &serde_json::to_string(&policy).unwrap(),
        )
        .await
        .unwrap();
    let offered = app.send(Req::get("/api/v1/auth/providers")).await;
    assert_eq!(offered.body["ldap"], false);
    ldap_login(&app, "alice", "alice-ldap-pw")
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_counted_until_the_account_is_locked() {
    let directory = Directory::start();
    let app = plenum(&format!(
        "url = \"{}\"\nca_file = \"{}\"\nnested_groups_depth = 1\n",
        directory.ldaps_url,
        directory.ca_file()
    ))
    .await;
    // memberOf over LDAPS, nested through the group entries' own memberOf.
    assert_eq!(user(&app, "bob", "bob-ldap-pw").await["role"], "user");

    // Wrong passwords count like those of local accounts: at the threshold the account
    // name is locked, and then even the right password is refused like a wrong one.
    let threshold = app.state.config.security.account.max_failures;
    for _ in 0..threshold {
        ldap_login(&app, "carol", "wrong")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let locked = ldap_login(&app, "carol", "carol-ldap-pw").await;
    locked.assert_problem(401, "invalid_credentials");
    assert!(locked.header("retry-after").parse::<u64>().unwrap() > 0);
    // Another person is not affected.
    assert_eq!(
        user(&app, "alice", "alice-ldap-pw").await["role"],
        "instance_admin"
    );
}

#[tokio::test]
async fn the_directory_certificate_is_verified() {
    let directory = Directory::start();
    // Without the test CA, the server's certificate is from an unknown issuer.
    let app = plenum(&format!("url = \"{}\"\n", directory.starttls_url)).await;
    ldap_login(&app, "alice", "alice-ldap-pw")
        .await
        .assert_problem(503, "directory_unavailable");
}
