//! Resources and data sources: schemas plus the glue between Terraform's
//! requests (`protocol`), the ECS API (`ecs`) and the sequencer (`planner`).
//! This is the only module that knows all three.

pub mod attrs;
pub mod data_instance_types;
pub mod data_type_modifications;
pub mod instance;
pub mod provider_config;
pub mod resource;
pub mod schema_builder;

use crate::ecs;
use crate::protocol::{
    ApplyResourceChangeRequest, ApplyResourceChangeResponse, Diagnostic,
    ImportResourceStateResponse, PlanResourceChangeRequest, PlanResourceChangeResponse, Provider,
    ProviderSchema, ReadDataSourceResponse, ReadResourceRequest, ReadResourceResponse, Value,
};
use instance::api::PollPolicy;
pub use provider_config::ProviderSettings;
use provider_config::SignatureChoice;
pub use resource::{DataSource, Resource};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use tokio_util::sync::CancellationToken;

/// What every operation of a configured provider shares.
#[derive(Debug)]
pub struct Context {
    pub settings: ProviderSettings,
    /// The ECS client of this configuration; clones share its rate limiter,
    /// batched lookups and cancellation.
    pub client: ecs::Client,
    /// Cancelled by Terraform's Stop (Ctrl-C), together with the client, so
    /// that our own sleeps (polling, cooldown waits) end at once too.
    pub cancel: CancellationToken,
    /// How waits poll the instance.
    pub poll: PollPolicy,
}

impl Context {
    /// Builds the client for `settings`.
    ///
    /// # Errors
    /// A diagnostic naming the setting the client refused.
    pub fn new(settings: ProviderSettings, poll: PollPolicy) -> Result<Context, Diagnostic> {
        let mut cfg = ecs::ClientConfig::new(
            settings.region.clone(),
            settings.access_key.clone(),
            ecs::Secret::new(settings.secret_key.clone()),
        );
        cfg.security_token = settings.security_token.clone().map(ecs::Secret::new);
        cfg.endpoint = settings.endpoint.clone();
        cfg.signature_version = match settings.signature_version {
            SignatureChoice::V1 => ecs::SignatureVersion::V1,
            SignatureChoice::V3 => ecs::SignatureVersion::V3,
        };
        cfg.max_requests_per_second = settings.max_requests_per_second;
        cfg.max_retries = settings.max_retries;
        let client = ecs::Client::new(cfg).map_err(|e| {
            Diagnostic::error(
                "Invalid Provider Configuration",
                format!("The ECS client could not be set up: {}", e.message),
            )
        })?;
        Ok(Context {
            settings,
            client,
            cancel: CancellationToken::new(),
            poll,
        })
    }

    /// Cancels every wait and retry in flight (and any later one).
    pub fn cancel(&self) {
        self.cancel.cancel();
        self.client.cancel();
    }
}

/// Looks up one environment variable (the process environment in production).
type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The ECS provider: a registry of resource and data source types plus the
/// configured context.
pub struct EcsProvider {
    resources: BTreeMap<&'static str, Box<dyn Resource>>,
    data_sources: BTreeMap<&'static str, Box<dyn DataSource>>,
    ctx: RwLock<Option<Arc<Context>>>,
    env: Box<EnvLookup>,
}

/// The provider as the plugin server serves it, reading the process environment.
pub fn provider() -> Arc<dyn Provider> {
    Arc::new(EcsProvider::new(|k| std::env::var(k).ok()))
}

fn unknown_type(kind: &str, name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Unknown {kind} Type"),
        format!("This provider has no {kind} type \"{name}\". Check the spelling, or upgrade the provider."),
    )
}

fn not_configured() -> Diagnostic {
    Diagnostic::error(
        "Provider Not Configured",
        "The ecs provider was not configured before this operation; this is a bug in Terraform or the provider.",
    )
}

impl EcsProvider {
    pub fn new(env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        let resources: Vec<Box<dyn Resource>> = vec![Box::new(instance::EcsInstance)];
        let data_sources: Vec<Box<dyn DataSource>> = vec![
            Box::new(data_instance_types::InstanceTypes),
            Box::new(data_type_modifications::TypeModifications),
        ];
        EcsProvider {
            resources: resources.into_iter().map(|r| (r.type_name(), r)).collect(),
            data_sources: data_sources
                .into_iter()
                .map(|d| (d.type_name(), d))
                .collect(),
            ctx: RwLock::new(None),
            env: Box::new(env),
        }
    }

    fn ctx(&self) -> Option<Arc<Context>> {
        self.ctx.read().expect("context lock").clone()
    }
}

#[async_trait::async_trait]
impl Provider for EcsProvider {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            provider: provider_config::schema(),
            resources: self
                .resources
                .iter()
                .map(|(k, r)| (k.to_string(), r.schema()))
                .collect(),
            data_sources: self
                .data_sources
                .iter()
                .map(|(k, d)| (k.to_string(), d.schema()))
                .collect(),
        }
    }

    async fn validate_provider_config(&self, config: Value) -> Vec<Diagnostic> {
        provider_config::validate(&config)
    }

    async fn validate_resource_config(&self, type_name: &str, config: Value) -> Vec<Diagnostic> {
        match self.resources.get(type_name) {
            Some(r) => r.validate(&config),
            None => vec![unknown_type("Resource", type_name)],
        }
    }

    async fn validate_data_source_config(&self, type_name: &str, config: Value) -> Vec<Diagnostic> {
        match self.data_sources.get(type_name) {
            Some(d) => d.validate(&config),
            None => vec![unknown_type("Data Source", type_name)],
        }
    }

    async fn configure(&self, _terraform_version: &str, config: Value) -> Vec<Diagnostic> {
        let settings = match ProviderSettings::resolve(&config, &self.env) {
            Ok(settings) => settings,
            Err(diags) => return diags,
        };
        tracing::debug!(?settings, "provider configured");
        match Context::new(settings, PollPolicy::from_env(&self.env)) {
            Ok(ctx) => {
                *self.ctx.write().expect("context lock") = Some(Arc::new(ctx));
                Vec::new()
            }
            Err(diag) => vec![diag],
        }
    }

    async fn read_resource(&self, req: ReadResourceRequest) -> ReadResourceResponse {
        let (Some(r), Some(ctx)) = (self.resources.get(req.type_name.as_str()), self.ctx()) else {
            return ReadResourceResponse {
                diagnostics: vec![not_configured()],
                ..Default::default()
            };
        };
        r.read(ctx, req).await
    }

    async fn plan_resource_change(
        &self,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse {
        match self.resources.get(req.type_name.as_str()) {
            Some(r) => r.plan(self.ctx(), req).await,
            None => PlanResourceChangeResponse {
                diagnostics: vec![unknown_type("Resource", &req.type_name)],
                ..Default::default()
            },
        }
    }

    async fn apply_resource_change(
        &self,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse {
        let (Some(r), Some(ctx)) = (self.resources.get(req.type_name.as_str()), self.ctx()) else {
            return ApplyResourceChangeResponse {
                diagnostics: vec![not_configured()],
                ..Default::default()
            };
        };
        r.apply(ctx, req).await
    }

    async fn import_resource_state(
        &self,
        type_name: &str,
        id: &str,
    ) -> ImportResourceStateResponse {
        let (Some(r), Some(ctx)) = (self.resources.get(type_name), self.ctx()) else {
            return ImportResourceStateResponse {
                diagnostics: vec![not_configured()],
                ..Default::default()
            };
        };
        r.import(ctx, id).await
    }

    async fn read_data_source(&self, type_name: &str, config: Value) -> ReadDataSourceResponse {
        let (Some(d), Some(ctx)) = (self.data_sources.get(type_name), self.ctx()) else {
            return ReadDataSourceResponse {
                diagnostics: vec![not_configured()],
                ..Default::default()
            };
        };
        d.read(ctx, config).await
    }

    fn stop(&self) {
        tracing::info!("stop requested: cancelling in-flight operations");
        if let Some(ctx) = self.ctx() {
            ctx.cancel();
        }
    }
}
