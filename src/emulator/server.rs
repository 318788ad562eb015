//! Serving: the axum [`router`], and [`serve`], which runs it on a listener
//! with its own accept loop so each connection can be closed on purpose
//! (`--drop-rate`) and admin requests can be checked for a loopback peer.
//!
//! Each connection task owns its socket. The API handler gets a
//! [`DropConnection`] for its connection; firing it makes the task drop the
//! connection future, which closes the socket without writing a byte.
//!
//! With `--tls` each connection task first runs the TLS handshake (bounded
//! by [`HANDSHAKE_TIMEOUT`]); a client that fails it is logged and closed,
//! and never reaches the API.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::routing::{get, post};
use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tower_service::Service;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;

use super::admin;
use super::config::Config;
use super::http;
use super::state::{Emulator, EmulatorError};

/// The peer of a connection, set by [`serve`]. The admin API refuses
/// non-loopback peers; without it (router used in-process) the caller is
/// local by construction.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Closes the current connection without an answer.
#[derive(Debug, Clone, Default)]
pub struct DropConnection(Arc<Notify>);

impl DropConnection {
    pub fn fire(&self) {
        self.0.notify_one();
    }
}

/// The whole HTTP surface: the admin API under `/_emulator/` and the ECS
/// API for every other request.
pub fn router(emu: Emulator) -> Router {
    let admin_routes = Router::new()
        .route("/_emulator/health", get(admin::health))
        .route("/_emulator/instances", get(admin::list))
        .route(
            "/_emulator/instances/{id}",
            post(admin::upsert).delete(admin::remove),
        )
        .route("/_emulator/instances/{id}/guest", get(admin::guest))
        .route("/_emulator/account", post(admin::account))
        .route("/_emulator/orders", get(admin::orders))
        .route("/_emulator/orders/{id}", post(admin::settle_order))
        .route("/_emulator/journal", get(admin::journal))
        .route("/_emulator/timeline", get(admin::timeline))
        .route(
            "/_emulator/hooks",
            get(admin::hooks)
                .post(admin::add_hook)
                .delete(admin::clear_hooks),
        )
        .merge(super::identity::admin_routes())
        .route_layer(axum::middleware::from_fn(admin::loopback_only));
    admin_routes
        .merge(super::identity::routes())
        .fallback(http::api)
        .with_state(emu)
}

/// How long a client gets to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server.
pub struct ServerHandle {
    addr: SocketAddr,
    tls: bool,
    emulator: Emulator,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ServerHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT` (`https://` with TLS), the endpoint to give clients.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// Stops accepting, closes every connection and waits for the server
    /// task to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Binds `config.listen` and serves.
///
/// # Errors
/// Invalid settings, seed or state file, or the address cannot be bound.
pub async fn start(config: Config) -> Result<ServerHandle, EmulatorError> {
    let listener = TcpListener::bind(config.listen).await?;
    serve(config, listener).await
}

/// Builds the emulator from `config` and serves it on `listener` until
/// [`ServerHandle::shutdown`] (or until the runtime ends).
///
/// # Errors
/// Invalid settings, seed or state file.
pub async fn serve(config: Config, listener: TcpListener) -> Result<ServerHandle, EmulatorError> {
    let acceptor = match &config.tls {
        Some(setting) => Some(TlsAcceptor::from(super::tls::server_config(setting)?)),
        None => None,
    };
    let emu = Emulator::new(config)?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        tracing::warn!(%addr, "listening on a non-loopback address: anyone who can reach it may call the API with the emulator's key (the admin API still answers loopback peers only)");
    }
    let (stop, stopped) = watch::channel(false);
    let tls = acceptor.is_some();
    let task = tokio::spawn(run(emu.clone(), listener, acceptor, stopped));
    Ok(ServerHandle {
        addr,
        tls,
        emulator: emu,
        stop,
        task,
    })
}

/// How often due transitions are applied without any request.
fn tick_period(transition: Duration) -> Duration {
    (transition / 10).clamp(Duration::from_millis(5), Duration::from_millis(100))
}

async fn run(
    emu: Emulator,
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    mut stopped: watch::Receiver<bool>,
) {
    let app = router(emu.clone());
    let mut ticker = tokio::time::interval(tick_period(emu.config().transition));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut backoff = Duration::from_millis(10);
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            _ = ticker.tick() => emu.tick(),
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff = Duration::from_millis(10);
                    let _ = stream.set_nodelay(true);
                    let (app, stopped) = (app.clone(), stopped.clone());
                    match acceptor.clone() {
                        None => tokio::spawn(connection(app, stream, peer, stopped)),
                        Some(tls) => tokio::spawn(async move {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                                Ok(Ok(stream)) => connection(app, stream, peer, stopped).await,
                                Ok(Err(e)) => tracing::info!(error = %e, %peer, "TLS handshake failed"),
                                Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                            }
                        }),
                    };
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, retry, never give up.
                    tracing::warn!(error = %e, "accept failed; retrying in {backoff:?}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            },
        }
    }
}

async fn connection<S>(app: Router, stream: S, peer: SocketAddr, mut stopped: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let killer = DropConnection::default();
    let per_request = killer.clone();
    // Router is always ready (its poll_ready returns Ready), so it can be
    // called directly.
    let svc = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(PeerAddr(peer));
        req.extensions_mut().insert(per_request.clone());
        let mut app = app.clone();
        app.call(req.map(axum::body::Body::new))
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        result = conn => {
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        }
        _ = killer.0.notified() => tracing::debug!(%peer, "connection closed without an answer (--drop-rate)"),
        _ = stopped.changed() => {}
    }
}
