//! `plenum serve`: open the store, load the signing key, create the demo data on a first
//! start, listen, print the banner, and run until SIGINT/SIGTERM.

use crate::config::{Config, LogFormat};
use crate::meeting_actor::{self, Meetings};
use crate::state::AppState;
use crate::tokens::TokenService;
use crate::{app, demo, passwords};
use anyhow::Context as _;
use plenum_bridge::{Bridge, BridgeConfig};
use plenum_store::Store;
use std::io::Write as _;
use std::time::Duration;
use time::OffsetDateTime;

/// How long open connections (WebSockets) get to finish after a stop signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Installs the global `tracing` subscriber (stderr; stdout carries the banner).
pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests in one process) keeps the first subscriber.
    let _ = match config.log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Creates the data directory and opens and migrates the store.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.store.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.store.data_dir.display()
        )
    })?;
    let store = Store::connect(&config.store.database_url)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                plenum_store::redact_url(&config.store.database_url)
            )
        })?;
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    Ok(store)
}

/// Builds the application state: store, signing key, media bridge, dummy password hash.
pub async fn build_state(config: Config, store: Store) -> anyhow::Result<AppState> {
    let (mut tokens, generated) = TokenService::load_or_generate(
        &config.tokens.signing_key_file,
        &config.http.public_url,
        config.tokens.access_lifetime,
    )?;
    if generated {
        tracing::info!(path = %config.tokens.signing_key_file.display(), "generated a new token signing key");
    }
    for path in &config.tokens.previous_signing_key_files {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read previous signing key {}", path.display()))?;
        tokens.add_previous_key(&pem).map_err(|reason| {
            anyhow::anyhow!(
                "previous signing key {} is not an Ed25519 PKCS#8 PEM key: {reason}",
                path.display()
            )
        })?;
    }
    let (bridge, _media_threads) = Bridge::start(BridgeConfig {
        bind: config.media.bind,
        announce: config.media.announce.clone(),
        threads: config.media.threads,
    })
    .with_context(|| format!("cannot start the media bridge on {}", config.media.bind))?;
    tracing::info!(media = ?bridge.local_addrs(), "media bridge listening");
    let meetings = Meetings::new(bridge);
    let dummy = passwords::hash(uuid::Uuid::new_v4().to_string()).await?;
    let state = AppState::new(config, store, tokens, meetings, dummy);
    state
        .audit_signer
        .load(&state.config.audit)
        .await
        .context("cannot set up audit checkpoint signing")?;
    tokio::spawn(meeting_actor::follow_rest_changes(state.clone()));
    tokio::spawn(crate::audit::checkpoints::run(state.clone()));
    tokio::spawn(crate::audit::retention::run(state.clone()));
    Ok(state)
}

/// Runs the server until a stop signal.
pub async fn run(mut config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.http.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.http.bind))?;
    let local = listener.local_addr().context("listener has no address")?;
    // With port 0 the OS picks the port; a public URL derived from the bind must name it.
    if config.http.bind.port() == 0
        && config.http.public_url == format!("http://{}", config.http.bind)
    {
        config.http.public_url = format!("http://{local}");
    }
    let store = open_store(&config).await?;
    let demo = demo::ensure(&store, OffsetDateTime::now_utc()).await?;
    let state = build_state(config, store).await?;
    tokio::spawn(housekeeping(state.clone()));
    crate::siem_task::start(&state)?;

    // Listen for stop signals before the banner announces the server: whoever reads the
    // banner may stop the server at once, and a signal without a handler would kill it
    // without a clean shutdown.
    let stop_requested = stop_signal()?;
    tracing::info!(http = %local, public_url = %state.config.http.public_url, "listening");
    let banner = demo::banner(&state.config.http.public_url, &demo);
    {
        let mut out = std::io::stdout().lock();
        out.write_all(banner.as_bytes())
            .context("cannot print the banner")?;
        out.flush().context("cannot print the banner")?;
    }

    let shutdown = state.shutdown.clone();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            stop_requested.await;
            tracing::info!("stop signal received; shutting down");
            shutdown.trigger();
        }
    });
    // With the peer address, so audit entries can name the source of each request.
    let service = app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown({
        let shutdown = shutdown.clone();
        async move { shutdown.wait().await }
    });
    // Graceful shutdown waits for open connections; a client that never hangs up must not
    // keep the process alive, so the wait is bounded.
    let deadline = async {
        shutdown.wait().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = server => result.context("HTTP server failed")?,
        () = deadline => tracing::warn!("connections still open after the grace period; exiting"),
    }
    state.meetings.shutdown(SHUTDOWN_GRACE).await;
    // Seal what the last requests and the meetings' ends recorded.
    crate::audit::checkpoints::seal_now(&state).await;
    state.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// How often expired refresh tokens (and OIDC sessions) are deleted.
pub const HOUSEKEEPING_PERIOD: Duration = Duration::from_secs(3600);
/// Expired refresh tokens are kept this long, so a late replay of a rotated token is still
/// recognised as reuse (and revokes its family) rather than being merely unknown.
pub const EXPIRED_TOKEN_RETENTION: time::Duration = time::Duration::days(7);

/// Background upkeep of the store until shutdown.
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(HOUSEKEEPING_PERIOD);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.shutdown.wait() => return,
        }
        let cutoff = OffsetDateTime::now_utc() - EXPIRED_TOKEN_RETENTION;
        match state.store.delete_expired_refresh_tokens(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "deleted expired refresh tokens"),
            Err(error) => tracing::warn!(%error, "could not delete expired refresh tokens"),
        }
        // OIDC sessions are only needed while their refresh tokens can still be used.
        if let Err(error) = state
            .store
            .delete_expired_external_sessions(OffsetDateTime::now_utc())
            .await
        {
            tracing::warn!(%error, "could not delete expired OIDC sessions");
        }
    }
}

/// Registers for SIGINT and SIGTERM now; the returned future ends at the first of them.
#[cfg(unix)]
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Ctrl-C is the only stop signal off Unix.
#[cfg(not(unix))]
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}
