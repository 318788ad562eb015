//! The contract between the protocol layer and the provider's behaviour.
//!
//! `protocol::server` implements the tfplugin5 gRPC service by converting each
//! request into the plain structs below, calling a [`Provider`], and converting
//! the answer back. Nothing here names a prost type, and nothing here knows ECS.

use super::diag::Diagnostic;
use super::schema::ProviderSchema;
use super::value::Value;

#[derive(Clone, Debug, Default)]
pub struct ReadResourceRequest {
    pub type_name: String,
    pub current_state: Value,
    pub private: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct ReadResourceResponse {
    /// `Value::Null` means the object is gone.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Clone, Debug, Default)]
pub struct PlanResourceChangeRequest {
    pub type_name: String,
    pub prior_state: Value,
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct PlanResourceChangeResponse {
    pub planned_state: Value,
    /// Paths of attributes whose change forces replacement.
    pub requires_replace: Vec<super::diag::AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Clone, Debug, Default)]
pub struct ApplyResourceChangeRequest {
    pub type_name: String,
    pub prior_state: Value,
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct ApplyResourceChangeResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Clone, Debug, Default)]
pub struct ImportedResource {
    pub type_name: String,
    pub state: Value,
    pub private: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct ImportResourceStateResponse {
    pub imported: Vec<ImportedResource>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Clone, Debug, Default)]
pub struct ReadDataSourceResponse {
    pub state: Value,
    pub diagnostics: Vec<Diagnostic>,
}

/// What a Terraform provider does, free of wire types.
///
/// Calls may arrive concurrently; implementations share state behind `&self`.
/// Return diagnostics for anything the user can fix; the protocol layer turns
/// a panic-free `Err` only into a gRPC error for broken internals.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The schemas; called once per process, and used to decode every value.
    fn schema(&self) -> ProviderSchema;

    /// PrepareProviderConfig: validate the provider block (may hold unknowns).
    async fn validate_provider_config(&self, config: Value) -> Vec<Diagnostic>;

    /// ValidateResourceTypeConfig (config may hold unknowns).
    async fn validate_resource_config(&self, type_name: &str, config: Value) -> Vec<Diagnostic>;

    /// ValidateDataSourceConfig (config may hold unknowns).
    async fn validate_data_source_config(&self, type_name: &str, config: Value) -> Vec<Diagnostic>;

    /// Configure: the provider block, fully known.
    async fn configure(&self, terraform_version: &str, config: Value) -> Vec<Diagnostic>;

    /// UpgradeResourceState. `state` is the stored state already decoded from
    /// JSON with the current schema; `version` is the schema version it was
    /// written with. The default keeps it as it is.
    async fn upgrade_resource_state(
        &self,
        _type_name: &str,
        _version: i64,
        state: Value,
    ) -> (Value, Vec<Diagnostic>) {
        (state, Vec::new())
    }

    async fn read_resource(&self, req: ReadResourceRequest) -> ReadResourceResponse;

    async fn plan_resource_change(
        &self,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse;

    async fn apply_resource_change(
        &self,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse;

    async fn import_resource_state(&self, type_name: &str, id: &str)
        -> ImportResourceStateResponse;

    async fn read_data_source(&self, type_name: &str, config: Value) -> ReadDataSourceResponse;

    /// Stop (Ctrl-C): cancel in-flight work promptly. Must not block.
    fn stop(&self);
}
