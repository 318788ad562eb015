//! go-plugin's side services, which Terraform's plugin client calls next to
//! the provider itself.
//!
//! - `GRPCController.Shutdown`: Terraform calls it when it closes a provider
//!   and kills the process 2 s later; it triggers a clean exit.
//! - `GRPCStdio.StreamStdio`: Terraform copies what arrives here to its logs.
//!   This provider logs to stderr directly, so the stream stays open and
//!   empty until shutdown.
//! - `GRPCBroker.StartStream`: negotiates extra connections, which providers
//!   never need; requests are read and dropped.

use super::proto::plugin::{
    self as pb, grpc_broker_server, grpc_controller_server, grpc_stdio_server,
};
use futures::stream::{BoxStream, StreamExt};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

/// A stream that yields nothing and ends when `shutdown` is cancelled, so a
/// graceful server shutdown is not held up by a long-lived stream.
fn silent_until<T: Send + 'static>(
    shutdown: &CancellationToken,
) -> BoxStream<'static, Result<T, Status>> {
    let done = shutdown.clone().cancelled_owned();
    futures::stream::once(done)
        .filter_map(|()| async { None })
        .boxed()
}

pub(crate) struct Controller {
    pub(crate) shutdown: CancellationToken,
    /// In `--debug` mode the provider outlives each Terraform run, so a
    /// Shutdown request is acknowledged but ignored.
    pub(crate) exit_on_shutdown: bool,
}

#[tonic::async_trait]
impl grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<pb::Empty>) -> Result<Response<pb::Empty>, Status> {
        if self.exit_on_shutdown {
            tracing::debug!("Terraform asked the plugin to shut down");
            self.shutdown.cancel();
        } else {
            tracing::info!("Ignoring a shutdown request in debug mode");
        }
        Ok(Response::new(pb::Empty {}))
    }
}

pub(crate) struct Stdio {
    pub(crate) shutdown: CancellationToken,
}

#[tonic::async_trait]
impl grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = BoxStream<'static, Result<pb::StdioData, Status>>;

    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(silent_until(&self.shutdown)))
    }
}

pub(crate) struct Broker {
    pub(crate) shutdown: CancellationToken,
}

#[tonic::async_trait]
impl grpc_broker_server::GrpcBroker for Broker {
    type StartStreamStream = BoxStream<'static, Result<pb::ConnInfo, Status>>;

    async fn start_stream(
        &self,
        request: Request<Streaming<pb::ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        let mut incoming = request.into_inner();
        tokio::spawn(async move {
            while let Some(Ok(info)) = incoming.next().await {
                tracing::debug!(
                    service_id = info.service_id,
                    "Ignoring a broker connection offer"
                );
            }
        });
        Ok(Response::new(silent_until(&self.shutdown)))
    }
}
