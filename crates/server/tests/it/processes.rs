//! What the identity tests share: real external programs (the OIDC test provider on
//! Node, slapd) started per test and killed when the guard drops, even if the test panics;
//! and Plenum instances configured from TOML (identity sources are tables).

use crate::common::{TempDir, TestApp};
use plenum_server::app;
use plenum_server::config::{Config, Layer, Origin};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Mutex;

/// A child process killed (and reaped) on drop.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Installs a fixture's npm packages from its lockfile once per test run, if they are
/// missing (tests run in parallel; one installs, the others wait).
pub fn npm_ci(dir: &Path) {
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _guard = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    if dir.join("node_modules/.package-lock.json").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("npm runs");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Plenum instance (no accounts yet) whose config is `sections` (TOML, without
/// `[media]`, `[store]` and `[web]`, which point into a fresh temporary directory).
pub async fn app_from_toml(sections: &str) -> TestApp {
    let dir = TempDir::new();
    let text = format!(
        "{sections}\n[media]\nbind = \"127.0.0.1:0\"\n[store]\ndata_dir = \"{}\"\n[web]\nassets_dir = \"{}\"\n",
        dir.path().join("data").display(),
        dir.path().join("no-assets").display(),
    );
    let config = Config::from_layer(&Layer::from_toml(&text, Origin::Default).unwrap()).unwrap();
    let store = plenum_server::serve::open_store(&config).await.unwrap();
    let state = plenum_server::serve::build_state(config, store)
        .await
        .unwrap();
    TestApp {
        router: app(state.clone()),
        state,
        _dir: dir,
    }
}
