//! Resources and data sources: schemas plus the glue between Terraform's
//! requests (`protocol`), the ECS API (`ecs`) and the sequencer (`planner`).
//! This is the only module that knows all three.

pub mod attrs;
pub mod provider_config;
pub mod resource;
pub mod schema_builder;

use crate::protocol::{
    ApplyResourceChangeRequest, ApplyResourceChangeResponse, Diagnostic,
    ImportResourceStateResponse, PlanResourceChangeRequest, PlanResourceChangeResponse, Provider,
    ProviderSchema, ReadDataSourceResponse, ReadResourceRequest, ReadResourceResponse, Value,
};
pub use provider_config::ProviderSettings;
pub use resource::{DataSource, Resource};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// What every operation of a configured provider shares.
#[derive(Debug)]
pub struct Context {
    pub settings: ProviderSettings,
}

/// The ECS provider: a registry of resource and data source types plus the
/// configured context.
pub struct EcsProvider {
    resources: BTreeMap<&'static str, Box<dyn Resource>>,
    data_sources: BTreeMap<&'static str, Box<dyn DataSource>>,
    ctx: RwLock<Option<Arc<Context>>>,
    env: Box<dyn Fn(&str) -> Option<String> + Send + Sync>,
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
        let resources: Vec<Box<dyn Resource>> = vec![];
        let data_sources: Vec<Box<dyn DataSource>> = vec![];
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
        match ProviderSettings::resolve(&config, &self.env) {
            Ok(settings) => {
                tracing::debug!(?settings, "provider configured");
                *self.ctx.write().expect("context lock") = Some(Arc::new(Context { settings }));
                Vec::new()
            }
            Err(diags) => diags,
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
    }
}
