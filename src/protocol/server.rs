//! `tfplugin5.Provider` over an `Arc<dyn Provider>`.
//!
//! Every implemented RPC has one shape: find the schema, decode the values
//! (a bad value becomes an error diagnostic), call the provider, encode the
//! answer (a value that does not fit the schema becomes an error
//! diagnostic). `Err(Status)` is never returned: Terraform shows gRPC errors
//! as opaque "plugin error"s, while diagnostics reach the user with a path.
//!
//! RPCs newer than protocol 5.2 that this provider has nothing for answer
//! cleanly: an empty success where "nothing" is a valid answer (functions,
//! identity schemas), else an error diagnostic saying it is not supported.

use super::diag::Diagnostic;
use super::proto::tfplugin5 as pb;
use super::provider::{
    ApplyResourceChangeRequest, PlanResourceChangeRequest, Provider, ReadResourceRequest,
};
use super::schema::{ProviderSchema, Schema};
use super::value::{Type, Value};
use super::{from_proto, to_proto};
use futures::stream::{self, BoxStream};
use std::collections::BTreeMap;
use std::sync::Arc;
use tonic::{Request, Response, Status};
use tracing::Instrument;

type RpcResult<T> = Result<Response<T>, Status>;

/// The gRPC service. Cheap to share: schemas and their value types are
/// computed once, when the process starts.
pub(crate) struct ProviderService {
    provider: Arc<dyn Provider>,
    schema: ProviderSchema,
    provider_type: Type,
    resource_types: BTreeMap<String, Type>,
    data_source_types: BTreeMap<String, Type>,
}

/// Returns early with a response holding just this error diagnostic.
macro_rules! or_reply {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(diag) => return Ok(Response::new(reply_with(diag))),
        }
    };
}

/// Response messages that carry diagnostics, so `or_reply!` can fill them.
trait WithDiagnostics {
    fn diagnostics_mut(&mut self) -> &mut Vec<pb::Diagnostic>;
}

macro_rules! with_diagnostics {
    ($($module:ident),* $(,)?) => {$(
        impl WithDiagnostics for pb::$module::Response {
            fn diagnostics_mut(&mut self) -> &mut Vec<pb::Diagnostic> {
                &mut self.diagnostics
            }
        }
    )*};
}

with_diagnostics!(
    get_metadata,
    get_provider_schema,
    get_resource_identity_schemas,
    prepare_provider_config,
    validate_resource_type_config,
    validate_data_source_config,
    upgrade_resource_state,
    upgrade_resource_identity,
    configure,
    read_resource,
    plan_resource_change,
    apply_resource_change,
    import_resource_state,
    move_resource_state,
    read_data_source,
    generate_resource_config,
    validate_ephemeral_resource_config,
    open_ephemeral_resource,
    renew_ephemeral_resource,
    close_ephemeral_resource,
    validate_list_resource_config,
    get_functions,
    validate_action_config,
    plan_action,
);

/// An otherwise empty response holding one diagnostic.
fn reply_with<R: WithDiagnostics + Default>(diag: Diagnostic) -> R {
    let mut response = R::default();
    response.diagnostics_mut().push(to_proto::diagnostic(&diag));
    response
}

/// The answer to an RPC this provider does not serve: a response carrying
/// one error diagnostic, so Terraform shows it instead of "Plugin error".
fn refuse<R: WithDiagnostics + Default>(feature: &str) -> RpcResult<R> {
    Ok(Response::new(reply_with(unsupported(feature))))
}

/// The span every RPC runs in: log lines the provider writes while serving
/// it carry the RPC name and, for RPCs about one (Configure has none), the
/// resource type.
pub(super) fn rpc_span(rpc: &'static str, type_name: &str) -> tracing::Span {
    let span = tracing::debug_span!(
        "rpc",
        tf_rpc = rpc,
        tf_resource_type = tracing::field::Empty
    );
    if !type_name.is_empty() {
        span.record("tf_resource_type", type_name);
    }
    span
}

fn unknown_type(kind: &str, type_name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Unknown {kind} Type"),
        format!(
            "This provider has no {} type {type_name:?}. Check the spelling in the \
             configuration, or whether this version of the provider supports it.",
            kind.to_lowercase()
        ),
    )
}

fn unsupported(feature: &str) -> Diagnostic {
    Diagnostic::error(
        "Unsupported Provider Feature",
        format!(
            "{feature} is not supported by this provider. Remove it from the \
             configuration; this provider offers managed resources and data sources only."
        ),
    )
}

impl ProviderService {
    pub(crate) fn new(provider: Arc<dyn Provider>) -> Self {
        let schema = provider.schema();
        let types = |m: &BTreeMap<String, Schema>| {
            m.iter()
                .map(|(name, s)| (name.clone(), s.value_type()))
                .collect()
        };
        ProviderService {
            provider_type: schema.provider.value_type(),
            resource_types: types(&schema.resources),
            data_source_types: types(&schema.data_sources),
            schema,
            provider,
        }
    }

    fn resource_type(&self, type_name: &str) -> Result<&Type, Diagnostic> {
        self.resource_types
            .get(type_name)
            .ok_or_else(|| unknown_type("Resource", type_name))
    }

    fn data_source_type(&self, type_name: &str) -> Result<&Type, Diagnostic> {
        self.data_source_types
            .get(type_name)
            .ok_or_else(|| unknown_type("Data Source", type_name))
    }
}

/// Encodes `value`, or records why not in `diagnostics` and sends nothing.
fn encode_into(
    value: &Value,
    ty: &Type,
    what: &str,
    diagnostics: &mut Vec<pb::Diagnostic>,
) -> Option<pb::DynamicValue> {
    match to_proto::dynamic_value(value, ty, what) {
        Ok(dv) => Some(dv),
        Err(diag) => {
            diagnostics.push(to_proto::diagnostic(&diag));
            None
        }
    }
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        Ok(Response::new(to_proto::metadata(&self.schema)))
    }

    async fn get_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        tracing::debug!(tf_rpc = "GetProviderSchema", "Serving the provider schema");
        Ok(Response::new(to_proto::provider_schema(&self.schema)))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(Default::default()))
    }

    async fn prepare_provider_config(
        &self,
        request: Request<pb::prepare_provider_config::Request>,
    ) -> RpcResult<pb::prepare_provider_config::Response> {
        let req = request.into_inner();
        async {
            let config = or_reply!(from_proto::dynamic_value(
                req.config.as_ref(),
                &self.provider_type,
                "provider configuration"
            ));
            let diags = self.provider.validate_provider_config(config).await;
            // Nothing to prepare: defaults and environment fallbacks are
            // applied in Configure, so the configuration goes back as it came.
            Ok(Response::new(pb::prepare_provider_config::Response {
                prepared_config: req.config.clone(),
                diagnostics: to_proto::diagnostics(&diags),
            }))
        }
        .instrument(rpc_span("PrepareProviderConfig", ""))
        .await
    }

    async fn validate_resource_type_config(
        &self,
        request: Request<pb::validate_resource_type_config::Request>,
    ) -> RpcResult<pb::validate_resource_type_config::Response> {
        let req = request.into_inner();
        async {
            let ty = or_reply!(self.resource_type(&req.type_name));
            let config = or_reply!(from_proto::dynamic_value(
                req.config.as_ref(),
                ty,
                "resource configuration"
            ));
            let diags = self
                .provider
                .validate_resource_config(&req.type_name, config)
                .await;
            Ok(Response::new(pb::validate_resource_type_config::Response {
                diagnostics: to_proto::diagnostics(&diags),
            }))
        }
        .instrument(rpc_span("ValidateResourceTypeConfig", &req.type_name))
        .await
    }

    async fn validate_data_source_config(
        &self,
        request: Request<pb::validate_data_source_config::Request>,
    ) -> RpcResult<pb::validate_data_source_config::Response> {
        let req = request.into_inner();
        async {
            let ty = or_reply!(self.data_source_type(&req.type_name));
            let config = or_reply!(from_proto::dynamic_value(
                req.config.as_ref(),
                ty,
                "data source configuration"
            ));
            let diags = self
                .provider
                .validate_data_source_config(&req.type_name, config)
                .await;
            Ok(Response::new(pb::validate_data_source_config::Response {
                diagnostics: to_proto::diagnostics(&diags),
            }))
        }
        .instrument(rpc_span("ValidateDataSourceConfig", &req.type_name))
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let req = request.into_inner();
        async {
            let ty = or_reply!(self.resource_type(&req.type_name));
            let version = self
                .schema
                .resource(&req.type_name)
                .map_or(0, |s| s.version);
            let raw = req.raw_state.unwrap_or_default();
            if raw.json.is_empty() && !raw.flatmap.is_empty() {
                return Ok(Response::new(reply_with(Diagnostic::error(
                    "Unsupported State Format",
                    format!(
                        "The stored state of this {} was written in the flatmap format of \
                         Terraform 0.11 and earlier, which this provider cannot read. Remove it \
                         from the state (`terraform state rm`) and import it again.",
                        req.type_name
                    ),
                ))));
            }
            if req.version > version {
                return Ok(Response::new(reply_with(Diagnostic::error(
                    "Resource State From a Newer Provider",
                    format!(
                        "The stored state of this {} has schema version {}, but this provider \
                         only knows versions up to {version}. Use the provider version that \
                         wrote the state, or a newer one.",
                        req.type_name, req.version
                    ),
                ))));
            }
            let state = if raw.json.is_empty() {
                Value::Null
            } else {
                or_reply!(
                    Value::from_json(&raw.json, ty).map_err(|err| err.to_diagnostic(
                        "Invalid Stored State",
                        "The stored state of this resource does not fit the provider's schema. \
                     Remove it from the state and import it again. Problem: ",
                    ))
                )
            };
            let (upgraded, diags) = self
                .provider
                .upgrade_resource_state(&req.type_name, req.version, state)
                .await;
            let mut diagnostics = to_proto::diagnostics(&diags);
            let upgraded_state = encode_into(&upgraded, ty, "upgraded state", &mut diagnostics);
            Ok(Response::new(pb::upgrade_resource_state::Response {
                upgraded_state,
                diagnostics,
            }))
        }
        .instrument(rpc_span("UpgradeResourceState", &req.type_name))
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        _: Request<pb::upgrade_resource_identity::Request>,
    ) -> RpcResult<pb::upgrade_resource_identity::Response> {
        refuse("Resource identity")
    }

    async fn configure(
        &self,
        request: Request<pb::configure::Request>,
    ) -> RpcResult<pb::configure::Response> {
        let req = request.into_inner();
        async {
            let config = or_reply!(from_proto::dynamic_value(
                req.config.as_ref(),
                &self.provider_type,
                "provider configuration"
            ));
            let diags = self
                .provider
                .configure(&req.terraform_version, config)
                .await;
            Ok(Response::new(pb::configure::Response {
                diagnostics: to_proto::diagnostics(&diags),
            }))
        }
        .instrument(rpc_span("Configure", ""))
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let req = request.into_inner();
        async {
            let ty = or_reply!(self.resource_type(&req.type_name));
            let current_state = or_reply!(from_proto::dynamic_value(
                req.current_state.as_ref(),
                ty,
                "current state"
            ));
            let resp = self
                .provider
                .read_resource(ReadResourceRequest {
                    type_name: req.type_name.clone(),
                    current_state,
                    private: req.private.clone(),
                })
                .await;
            let mut diagnostics = to_proto::diagnostics(&resp.diagnostics);
            let new_state = encode_into(&resp.new_state, ty, "new state", &mut diagnostics);
            Ok(Response::new(pb::read_resource::Response {
                new_state,
                diagnostics,
                private: resp.private,
                ..Default::default()
            }))
        }
        .instrument(rpc_span("ReadResource", &req.type_name))
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let req = request.into_inner();
        async {
            let ty = or_reply!(self.resource_type(&req.type_name));
            let prior_state = or_reply!(from_proto::dynamic_value(
                req.prior_state.as_ref(),
                ty,
                "prior state"
            ));
            let proposed_new_state = or_reply!(from_proto::dynamic_value(
                req.proposed_new_state.as_ref(),
                ty,
                "proposed new state"
            ));
            let config = or_reply!(from_proto::dynamic_value(
                req.config.as_ref(),
                ty,
                "configuration"
            ));
            let resp = self
                .provider
                .plan_resource_change(PlanResourceChangeRequest {
                    type_name: req.type_name.clone(),
                    prior_state,
                    proposed_new_state,
                    config,
                    prior_private: req.prior_private.clone(),
                })
                .await;
            let mut diagnostics = to_proto::diagnostics(&resp.diagnostics);
            let planned_state =
                encode_into(&resp.planned_state, ty, "planned state", &mut diagnostics);
            Ok(Response::new(pb::plan_resource_change::Response {
                planned_state,
                requires_replace: resp
                    .requires_replace
                    .iter()
                    .map(to_proto::attribute_path)
                    .collect(),
                planned_private: resp.planned_private,
                diagnostics,
                ..Default::default()
            }))
        }
        .instrument(rpc_span("PlanResourceChange", &req.type_name))
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let req = request.into_inner();
        async {
            let ty = or_reply!(self.resource_type(&req.type_name));
            let prior_state = or_reply!(from_proto::dynamic_value(
                req.prior_state.as_ref(),
                ty,
                "prior state"
            ));
            let planned_state = or_reply!(from_proto::dynamic_value(
                req.planned_state.as_ref(),
                ty,
                "planned state"
            ));
            let config = or_reply!(from_proto::dynamic_value(
                req.config.as_ref(),
                ty,
                "configuration"
            ));
            let resp = self
                .provider
                .apply_resource_change(ApplyResourceChangeRequest {
                    type_name: req.type_name.clone(),
                    prior_state,
                    planned_state,
                    config,
                    planned_private: req.planned_private.clone(),
                })
                .await;
            let mut diagnostics = to_proto::diagnostics(&resp.diagnostics);
            let new_state = encode_into(&resp.new_state, ty, "new state", &mut diagnostics);
            Ok(Response::new(pb::apply_resource_change::Response {
                new_state,
                private: resp.private,
                diagnostics,
                ..Default::default()
            }))
        }
        .instrument(rpc_span("ApplyResourceChange", &req.type_name))
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let req = request.into_inner();
        async {
            or_reply!(self.resource_type(&req.type_name));
            let resp = self
                .provider
                .import_resource_state(&req.type_name, &req.id)
                .await;
            let mut diagnostics = to_proto::diagnostics(&resp.diagnostics);
            let mut imported_resources = Vec::with_capacity(resp.imported.len());
            for imported in resp.imported {
                let type_name = if imported.type_name.is_empty() {
                    req.type_name.clone()
                } else {
                    imported.type_name
                };
                let ty = match self.resource_type(&type_name) {
                    Ok(ty) => ty,
                    Err(diag) => {
                        diagnostics.push(to_proto::diagnostic(&diag));
                        continue;
                    }
                };
                let state = encode_into(&imported.state, ty, "imported state", &mut diagnostics);
                imported_resources.push(pb::import_resource_state::ImportedResource {
                    type_name,
                    state,
                    private: imported.private,
                    identity: None,
                });
            }
            Ok(Response::new(pb::import_resource_state::Response {
                imported_resources,
                diagnostics,
                deferred: None,
            }))
        }
        .instrument(rpc_span("ImportResourceState", &req.type_name))
        .await
    }

    async fn move_resource_state(
        &self,
        _: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        refuse("Moving state between resource types")
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let req = request.into_inner();
        async {
            let ty = or_reply!(self.data_source_type(&req.type_name));
            let config = or_reply!(from_proto::dynamic_value(
                req.config.as_ref(),
                ty,
                "data source configuration"
            ));
            let resp = self.provider.read_data_source(&req.type_name, config).await;
            let mut diagnostics = to_proto::diagnostics(&resp.diagnostics);
            let state = encode_into(&resp.state, ty, "data source state", &mut diagnostics);
            Ok(Response::new(pb::read_data_source::Response {
                state,
                diagnostics,
                deferred: None,
            }))
        }
        .instrument(rpc_span("ReadDataSource", &req.type_name))
        .await
    }

    async fn generate_resource_config(
        &self,
        _: Request<pb::generate_resource_config::Request>,
    ) -> RpcResult<pb::generate_resource_config::Response> {
        refuse("Generating resource configuration")
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> RpcResult<pb::validate_ephemeral_resource_config::Response> {
        refuse("Ephemeral resources")
    }

    async fn open_ephemeral_resource(
        &self,
        _: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        refuse("Ephemeral resources")
    }

    async fn renew_ephemeral_resource(
        &self,
        _: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        refuse("Ephemeral resources")
    }

    async fn close_ephemeral_resource(
        &self,
        _: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        refuse("Ephemeral resources")
    }

    type ListResourceStream = BoxStream<'static, Result<pb::list_resource::Event, Status>>;

    async fn list_resource(
        &self,
        _: Request<pb::list_resource::Request>,
    ) -> RpcResult<Self::ListResourceStream> {
        let event = pb::list_resource::Event {
            diagnostic: vec![to_proto::diagnostic(&unsupported("Listing resources"))],
            ..Default::default()
        };
        Ok(Response::new(Box::pin(stream::iter([Ok(event)]))))
    }

    async fn validate_list_resource_config(
        &self,
        _: Request<pb::validate_list_resource_config::Request>,
    ) -> RpcResult<pb::validate_list_resource_config::Response> {
        refuse("Listing resources")
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> RpcResult<pb::get_functions::Response> {
        Ok(Response::new(Default::default()))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> RpcResult<pb::call_function::Response> {
        Ok(Response::new(pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text: format!(
                    "This provider has no function {:?}.",
                    request.into_inner().name
                ),
                function_argument: None,
            }),
        }))
    }

    async fn validate_action_config(
        &self,
        _: Request<pb::validate_action_config::Request>,
    ) -> RpcResult<pb::validate_action_config::Response> {
        refuse("Actions")
    }

    async fn plan_action(
        &self,
        _: Request<pb::plan_action::Request>,
    ) -> RpcResult<pb::plan_action::Response> {
        refuse("Actions")
    }

    type InvokeActionStream = BoxStream<'static, Result<pb::invoke_action::Event, Status>>;

    async fn invoke_action(
        &self,
        _: Request<pb::invoke_action::Request>,
    ) -> RpcResult<Self::InvokeActionStream> {
        let completed = pb::invoke_action::event::Completed {
            diagnostics: vec![to_proto::diagnostic(&unsupported("Actions"))],
        };
        let event = pb::invoke_action::Event {
            r#type: Some(pb::invoke_action::event::Type::Completed(completed)),
        };
        Ok(Response::new(Box::pin(stream::iter([Ok(event)]))))
    }

    async fn stop(&self, _: Request<pb::stop::Request>) -> RpcResult<pb::stop::Response> {
        tracing::info!(
            tf_rpc = "Stop",
            "Terraform asked to stop: cancelling in-flight work"
        );
        // Must not block: the provider only signals its cancellation token.
        self.provider.stop();
        Ok(Response::new(pb::stop::Response {
            error: String::new(),
        }))
    }
}

#[cfg(test)]
mod tests;
