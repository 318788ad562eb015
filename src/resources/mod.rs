//! Resources and data sources: schemas plus the glue between Terraform's
//! requests (`protocol`), the ECS API (`ecs`) and the sequencer (`planner`).
//! This is the only module that knows all three.

pub mod attrs;
pub mod data_instance_types;
pub mod data_instances;
pub mod data_type_modifications;
pub mod instance;
pub mod instance_spec;
pub mod provider_auth;
pub mod provider_config;
pub mod resource;
pub mod rolling;
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

/// The provider's source address, as configurations declare it
/// (`required_providers { ecs = { source = ... } }`) and as `make install`,
/// `make mirror` (`scripts/dist.py`) and every example spell it. Written with
/// its host, Terraform and OpenTofu resolve it alike.
pub const SOURCE_ADDRESS: &str = "registry.terraform.io/ecs-tools/ecs";

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
    /// Rolling updates: `max_unavailable` slots shared by every update.
    pub slots: rolling::Slots,
    /// The plan's type-availability answers, shared by alike instances.
    pub offers: instance::type_check::Offers,
    /// The vSwitches the plan read, shared by every instance's plan.
    pub vswitches: instance::place_check::VSwitches,
    /// The region's instance type names, listed once per provider process
    /// (on the first create plan) and shared by every instance's plan.
    pub type_names: tokio::sync::OnceCell<Vec<String>>,
    /// Transitions kept in the private state of the instances planned so
    /// far, by type: what a plan's estimate falls back on for an instance
    /// never stopped yet.
    pub transitions: instance::plan::SeenTransitions,
}

impl Context {
    /// Builds the client for `settings`.
    ///
    /// # Errors
    /// A diagnostic naming the setting the client refused.
    pub fn new(
        settings: ProviderSettings,
        credentials: ecs::CredentialProvider,
        poll: PollPolicy,
    ) -> Result<Context, Diagnostic> {
        let origin = credentials.origin().to_string();
        let mut cfg = ecs::ClientConfig::with_credentials(settings.region.clone(), credentials);
        cfg.endpoint = settings.endpoint.clone();
        cfg.signature_version = match settings.signature_version {
            SignatureChoice::V1 => ecs::SignatureVersion::V1,
            SignatureChoice::V3 => ecs::SignatureVersion::V3,
        };
        cfg.max_requests_per_second = settings.max_requests_per_second;
        cfg.max_retries = settings.max_retries;
        cfg.origins = settings.sources.origins();
        if settings.sources.access_key == provider_config::Source::Default {
            // Keys from the chain (a profile, a role...): name that.
            cfg.origins.access_key = origin.clone();
            cfg.origins.secret_key = origin;
        }
        let client = ecs::Client::new(cfg).map_err(|e| {
            Diagnostic::error(
                "Invalid Provider Configuration",
                format!("The ECS client could not be set up: {}", e.message),
            )
        })?;
        let cancel = CancellationToken::new();
        let slots = rolling::Slots::new(
            settings.rolling.max_unavailable,
            settings.rolling.grace,
            cancel.clone(),
        );
        Ok(Context {
            settings,
            client,
            cancel,
            poll,
            slots,
            offers: Default::default(),
            vswitches: Default::default(),
            type_names: tokio::sync::OnceCell::new(),
            transitions: Default::default(),
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
    /// Set when Configure got a block with unknown values (during plan):
    /// their names. No context exists then, and nothing calls ECS.
    deferred: RwLock<Vec<String>>,
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
        let resources: Vec<Box<dyn Resource>> = vec![
            Box::new(instance::EcsInstance),
            Box::new(instance_spec::EcsInstanceSpec),
        ];
        let data_sources: Vec<Box<dyn DataSource>> = vec![
            Box::new(data_instance_types::InstanceTypes),
            Box::new(data_instances::Instances),
            Box::new(data_type_modifications::TypeModifications),
        ];
        EcsProvider {
            resources: resources.into_iter().map(|r| (r.type_name(), r)).collect(),
            data_sources: data_sources
                .into_iter()
                .map(|d| (d.type_name(), d))
                .collect(),
            ctx: RwLock::new(None),
            deferred: RwLock::new(Vec::new()),
            env: Box::new(env),
        }
    }

    fn ctx(&self) -> Option<Arc<Context>> {
        self.ctx.read().expect("context lock").clone()
    }

    /// The unknown provider attributes, when Configure got some.
    fn deferred(&self) -> Vec<String> {
        self.deferred.read().expect("deferred lock").clone()
    }

    /// Why an operation that needs ECS cannot run: the configuration is
    /// not known yet, or Configure never happened.
    fn unavailable(&self) -> Diagnostic {
        let unknown = self.deferred();
        if unknown.is_empty() {
            return not_configured();
        }
        Diagnostic::error(
            "Provider Configuration Not Known Yet",
            format!(
                "The ecs provider's {} depends on values known only after apply, so it cannot call ECS for this operation yet. Apply the resources it depends on first (e.g. terraform apply -target=...), or make the provider block known at plan time.",
                names(&unknown)
            ),
        )
    }
}

/// `a`, `a and b`, `a, b and c`.
fn names(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The warning of a plan made with an unknown provider configuration.
fn deferred_warning(unknown: &[String]) -> Diagnostic {
    Diagnostic::warning(
        "Provider Configuration Not Known Yet",
        format!(
            "The ecs provider's {} depends on values known only after apply. Until then the provider does not call ECS: existing instances keep the values they had in state (they were not refreshed), values ECS chooses are planned as unknown, and checks that ask ECS (e.g. whether a new instance_type is available) are skipped. All of this happens at apply, once the configuration is known.",
            names(unknown)
        ),
    )
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
        let unknown = provider_config::unknown_attributes(&config);
        if !unknown.is_empty() {
            // Unknown is not unset: no environment fallback, no "missing",
            // and no client built from half a configuration.
            tracing::info!(
                ?unknown,
                "provider configuration not known yet; ECS calls deferred"
            );
            *self.ctx.write().expect("context lock") = None;
            *self.deferred.write().expect("deferred lock") = unknown.clone();
            return vec![deferred_warning(&unknown)];
        }
        self.deferred.write().expect("deferred lock").clear();
        let settings = match ProviderSettings::resolve(&config, &self.env) {
            Ok(settings) => settings,
            Err(diags) => return diags,
        };
        tracing::debug!(?settings, "provider configured");
        // The first credentials are fetched now: a token STS refuses, a role
        // that cannot be assumed, an unknown profile or a silent metadata
        // service fail here, at plan, before any ECS call.
        let env = |k: &str| (self.env)(k);
        let resolved = match ecs::credentials::resolve(
            settings.credentials.clone(),
            &ecs::credentials::Env { var: &env },
        )
        .await
        {
            Ok(r) => r,
            Err(e) => return vec![provider_auth::diagnostic(&e, &config)],
        };
        tracing::info!(origin = %resolved.origin, "credentials found");
        match Context::new(settings, resolved.provider, PollPolicy::from_env(&self.env)) {
            Ok(ctx) => {
                *self.ctx.write().expect("context lock") = Some(Arc::new(ctx));
                Vec::new()
            }
            Err(diag) => vec![diag],
        }
    }

    async fn read_resource(&self, req: ReadResourceRequest) -> ReadResourceResponse {
        if self.ctx().is_none() && !self.deferred().is_empty() {
            // Nothing to read with: keep what state has (the plan's warning
            // says so); the apply reads again once the block is known.
            return ReadResourceResponse {
                new_state: req.current_state,
                private: req.private,
                diagnostics: Vec::new(),
            };
        }
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
                diagnostics: vec![self.unavailable()],
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
                diagnostics: vec![self.unavailable()],
                ..Default::default()
            };
        };
        r.import(ctx, id).await
    }

    async fn read_data_source(&self, type_name: &str, config: Value) -> ReadDataSourceResponse {
        let (Some(d), Some(ctx)) = (self.data_sources.get(type_name), self.ctx()) else {
            return ReadDataSourceResponse {
                diagnostics: vec![self.unavailable()],
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "ALICLOUD_REGION" => Some("cn-hangzhou".into()),
            "ALICLOUD_ACCESS_KEY" => Some("ak".into()),
            "ALICLOUD_SECRET_KEY" => Some("secret".into()),
            "ALIBABA_CLOUD_ENDPOINT_ECS" => Some("http://127.0.0.1:9".into()),
            "ECS_PROVIDER_POLL_MS" => Some("25".into()),
            _ => None,
        }
    }

    fn empty_provider_block() -> Value {
        attrs::object(
            provider_config::schema()
                .block
                .attributes
                .iter()
                .map(|a| (a.name.clone(), Value::Null)),
        )
    }

    #[test]
    fn schema_lists_the_resources_and_data_sources() {
        let s = EcsProvider::new(env).schema();
        assert_eq!(
            s.resources.keys().collect::<Vec<_>>(),
            ["ecs_instance", "ecs_instance_spec"]
        );
        assert_eq!(
            s.data_sources.keys().collect::<Vec<_>>(),
            [
                "ecs_instance_type_modifications",
                "ecs_instance_types",
                "ecs_instances"
            ]
        );
    }

    #[tokio::test]
    async fn configure_builds_the_client_and_stop_cancels_it() {
        let p = EcsProvider::new(env);
        assert!(p.ctx().is_none());
        let diags = p.configure("1.0.3", empty_provider_block()).await;
        assert!(diags.is_empty(), "{diags:?}");
        let ctx = p.ctx().expect("configured");
        assert_eq!(ctx.client.region(), "cn-hangzhou");
        assert_eq!(ctx.poll.initial, std::time::Duration::from_millis(25));
        assert!(!ctx.cancel.is_cancelled() && !ctx.client.is_cancelled());
        p.stop();
        assert!(ctx.cancel.is_cancelled() && ctx.client.is_cancelled());
    }

    #[tokio::test]
    async fn an_unknown_configuration_defers_ecs_calls_without_env_fallback() {
        let p = EcsProvider::new(env);
        let mut block = empty_provider_block();
        attrs::set(&mut block, "region", Value::Unknown);
        let diags = p.configure("1.0.3", block).await;
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].severity, crate::protocol::diag::Severity::Warning);
        assert!(diags[0].detail.contains("region"), "{}", diags[0].detail);
        assert!(p.ctx().is_none(), "no client from half a configuration");
        let state = attrs::object([("id", attrs::str_value("i-1"))]);
        let r = p
            .read_resource(ReadResourceRequest {
                type_name: "ecs_instance".into(),
                current_state: state.clone(),
                ..Default::default()
            })
            .await;
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        assert_eq!(r.new_state, state, "state kept, not read");
        let d = p.read_data_source("ecs_instance_types", Value::Null).await;
        assert_eq!(
            d.diagnostics[0].summary,
            "Provider Configuration Not Known Yet"
        );
        // Known again (the apply walk): configured as usual.
        assert!(p
            .configure("1.0.3", empty_provider_block())
            .await
            .is_empty());
        assert!(p.ctx().is_some());
    }

    #[tokio::test]
    async fn operations_before_configure_say_so() {
        let p = EcsProvider::new(env);
        let r = p
            .read_resource(ReadResourceRequest {
                type_name: "ecs_instance".into(),
                ..Default::default()
            })
            .await;
        assert_eq!(r.diagnostics[0].summary, "Provider Not Configured");
        p.stop(); // nothing to cancel yet: must not panic
    }
}
