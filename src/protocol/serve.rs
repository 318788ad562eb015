//! Serving a [`Provider`] to Terraform: the whole life of the plugin process.
//!
//! 1. Check the environment Terraform sets (magic cookie, protocol 5).
//! 2. Listen (private unix socket, or loopback TCP), set up AutoMTLS when
//!    Terraform passed its certificate.
//! 3. Print the handshake line, and only then: Terraform connects as soon as
//!    it reads it. Nothing else ever goes to stdout.
//! 4. Serve tfplugin5, health and go-plugin's side services until
//!    `GRPCController.Shutdown`, then exit 0. SIGINT is ignored: when the
//!    user presses Ctrl-C, Terraform relays it as the Stop RPC.
//!
//! `--debug` mode instead serves plaintext for a Terraform started by hand
//! with `TF_REATTACH_PROVIDERS`, until Ctrl-C.

use super::handshake::{self, Refusal, Transport};
use super::listen::Endpoint;
use super::proto::plugin::{grpc_broker_server, grpc_controller_server, grpc_stdio_server};
use super::proto::tfplugin5::provider_server;
use super::provider::Provider;
use super::server::ProviderService;
use super::side::{Broker, Controller, Stdio};
use super::tls;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Terraform's messages can be large (big states, schemas); terraform-plugin-go
/// allows 256 MB each way, and so do we.
const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// After Shutdown, how long in-flight calls get before the process exits
/// anyway (Terraform kills it after 2 s).
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// How to serve.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// Serve for a Terraform started by hand (`--debug`) instead of one that
    /// started this process.
    pub debug: bool,
    /// The provider's source address, `HOST/NAMESPACE/TYPE`: `--debug` keys
    /// its `TF_REATTACH_PROVIDERS` line by it (and by its twin on the other
    /// public registry host, so the line serves Terraform and OpenTofu alike).
    pub source_address: String,
}

/// Runs the plugin to completion on a new Tokio runtime; the exit code for
/// `main`. See [`serve`].
pub fn run(provider: Arc<dyn Provider>, options: ServeOptions) -> ExitCode {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("terraform-provider-ecs: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(provider, options))
}

/// Serves `provider` as the process's one job, and returns the exit code:
/// success after Terraform's Shutdown (or Ctrl-C in debug mode), failure
/// (with a message on stderr) when the environment is wrong or the socket
/// or TLS cannot be set up.
pub async fn serve(provider: Arc<dyn Provider>, options: ServeOptions) -> ExitCode {
    let result = if options.debug {
        serve_debug(provider, &options.source_address).await
    } else {
        serve_plugin(provider).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_plugin(provider: Arc<dyn Provider>) -> Result<(), String> {
    let settings =
        handshake::settings(|key| std::env::var(key).ok()).map_err(|e: Refusal| e.to_string())?;
    ignore_sigint();
    let auto_tls = match &settings.client_cert {
        Some(pem) => Some(tls::auto_mtls(pem).map_err(|e| format!("terraform-provider-ecs: {e}"))?),
        None => None,
    };
    let endpoint = Endpoint::bind(&settings.transport)
        .await
        .map_err(|e| format!("terraform-provider-ecs: cannot listen for Terraform: {e}"))?;
    let line = handshake::line(
        endpoint.network,
        &endpoint.address,
        auto_tls.as_ref().map(|t| t.cert.as_ref()),
    );
    let shutdown = CancellationToken::new();
    let incoming = endpoint.incoming(auto_tls.map(|t| t.config), shutdown.clone());
    let router = router(provider, shutdown.clone(), true).await;

    print_line(&line)
        .map_err(|e| format!("terraform-provider-ecs: cannot write the handshake: {e}"))?;
    tracing::debug!(
        tls = settings.client_cert.is_some(),
        "Plugin listening; handshake sent"
    );
    exit_on_sigterm(&shutdown);
    run_until_shutdown(router, incoming, shutdown).await
}

async fn serve_debug(provider: Arc<dyn Provider>, source_address: &str) -> Result<(), String> {
    let addresses = handshake::reattach_addresses(source_address)
        .ok_or_else(|| format!("terraform-provider-ecs: bad source address {source_address:?}"))?;
    let transport = handshake::transport(|key| std::env::var(key).ok())
        .unwrap_or(Transport::Unix { socket_dir: None });
    let endpoint = Endpoint::bind(&transport)
        .await
        .map_err(|e| format!("terraform-provider-ecs: cannot listen: {e}"))?;
    let reattach = handshake::reattach_json(
        &addresses,
        endpoint.network,
        &endpoint.address,
        std::process::id(),
    );
    let shutdown = CancellationToken::new();
    let incoming = endpoint.incoming(None, shutdown.clone());
    let router = router(provider, shutdown.clone(), false).await;
    let ctrl_c = interrupted();
    // Debug mode talks to a person, so stdout carries instructions.
    print_line(&format!(
        "terraform-provider-ecs is serving in debug mode (plaintext). In the shell where you run \
         terraform or tofu, set:\n\n\texport TF_REATTACH_PROVIDERS='{reattach}'\n\n\
         and declare the provider with source \"{source_address}\" (Terraform and OpenTofu both \
         match it, also written without its host). Press Ctrl-C to stop."
    ))
    .map_err(|e| e.to_string())?;
    let on_ctrl_c = shutdown.clone();
    tokio::spawn(async move {
        let _ = ctrl_c.await;
        on_ctrl_c.cancel();
    });
    exit_on_sigterm(&shutdown);
    run_until_shutdown(router, incoming, shutdown).await
}

/// Ctrl-C in Terraform's terminal reaches the whole process group; Terraform
/// relays it to us as the Stop RPC, so the signal itself is ignored. The
/// handler is installed at once (not on first poll) so that no SIGINT is
/// missed between the handshake and the first await.
fn ignore_sigint() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut interrupts) = signal(SignalKind::interrupt()) {
            tokio::spawn(async move {
                while interrupts.recv().await.is_some() {
                    tracing::debug!("Ignoring SIGINT: Terraform relays Ctrl-C as the Stop RPC");
                }
            });
        }
    }
    #[cfg(not(unix))]
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            tracing::debug!("Ignoring Ctrl-C: Terraform relays it as the Stop RPC");
        }
    });
}

/// Resolves on the next Ctrl-C; the handler is installed before returning.
fn interrupted() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupts = signal(SignalKind::interrupt()).ok();
        async move {
            match interrupts {
                Some(mut interrupts) => {
                    interrupts.recv().await;
                }
                None => std::future::pending().await,
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// SIGTERM shuts down like Shutdown does, so the socket directory is
/// removed. (Terraform itself uses Shutdown, then SIGKILL.)
fn exit_on_sigterm(shutdown: &CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let shutdown = shutdown.clone();
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::spawn(async move {
                terminate.recv().await;
                tracing::debug!("SIGTERM: shutting down");
                shutdown.cancel();
            });
        }
    }
    #[cfg(not(unix))]
    let _ = shutdown;
}

/// All services on one server, in go-plugin's arrangement.
async fn router(
    provider: Arc<dyn Provider>,
    shutdown: CancellationToken,
    exit_on_shutdown: bool,
) -> tonic::transport::server::Router {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let provider = provider_server::ProviderServer::new(ProviderService::new(provider))
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    tonic::transport::Server::builder()
        .add_service(health)
        .add_service(provider)
        .add_service(grpc_controller_server::GrpcControllerServer::new(
            Controller {
                shutdown: shutdown.clone(),
                exit_on_shutdown,
            },
        ))
        .add_service(grpc_stdio_server::GrpcStdioServer::new(Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(grpc_broker_server::GrpcBrokerServer::new(Broker {
            shutdown,
        }))
}

/// Serves until `shutdown`, then lets in-flight calls finish for a short
/// grace period.
async fn run_until_shutdown(
    router: tonic::transport::server::Router,
    incoming: tokio_stream::wrappers::ReceiverStream<std::io::Result<super::listen::Conn>>,
    shutdown: CancellationToken,
) -> Result<(), String> {
    let signal = shutdown.clone().cancelled_owned();
    let serving = router.serve_with_incoming_shutdown(incoming, signal);
    let grace_over = async {
        shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = serving => {
            result.map_err(|e| format!("terraform-provider-ecs: serving failed: {e}"))
        }
        () = grace_over => {
            tracing::debug!("In-flight calls did not finish before shutdown; exiting anyway");
            Ok(())
        }
    }
}

fn print_line(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}
