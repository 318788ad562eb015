//! TEMPORARY (branch `protocol`): a stand-in for the real resources module,
//! which the coordinator writes on main and which replaces this whole file
//! at merge. It only lets the protocol layer build, run and be tested: a
//! provider with an empty provider block and no resources.

use crate::protocol::{
    ApplyResourceChangeRequest, ApplyResourceChangeResponse, Block, Diagnostic,
    ImportResourceStateResponse, PlanResourceChangeRequest, PlanResourceChangeResponse, Provider,
    ProviderSchema, ReadDataSourceResponse, ReadResourceRequest, ReadResourceResponse, Schema,
    Value,
};
use std::sync::Arc;

/// The provider the binary serves.
pub fn provider() -> Arc<dyn Provider> {
    Arc::new(Placeholder)
}

struct Placeholder;

#[async_trait::async_trait]
impl Provider for Placeholder {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            provider: Schema::new(0, Block::new()),
            resources: Default::default(),
            data_sources: Default::default(),
        }
    }

    async fn validate_provider_config(&self, _config: Value) -> Vec<Diagnostic> {
        Vec::new()
    }

    async fn validate_resource_config(&self, _type_name: &str, _config: Value) -> Vec<Diagnostic> {
        Vec::new()
    }

    async fn validate_data_source_config(
        &self,
        _type_name: &str,
        _config: Value,
    ) -> Vec<Diagnostic> {
        Vec::new()
    }

    async fn configure(&self, _terraform_version: &str, _config: Value) -> Vec<Diagnostic> {
        tracing::debug!("Configured the placeholder provider");
        Vec::new()
    }

    async fn read_resource(&self, req: ReadResourceRequest) -> ReadResourceResponse {
        ReadResourceResponse {
            new_state: req.current_state,
            private: req.private,
            diagnostics: Vec::new(),
        }
    }

    async fn plan_resource_change(
        &self,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse {
        PlanResourceChangeResponse {
            planned_state: req.proposed_new_state,
            planned_private: req.prior_private,
            ..Default::default()
        }
    }

    async fn apply_resource_change(
        &self,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse {
        ApplyResourceChangeResponse {
            new_state: req.planned_state,
            private: req.planned_private,
            diagnostics: Vec::new(),
        }
    }

    async fn import_resource_state(
        &self,
        _type_name: &str,
        _id: &str,
    ) -> ImportResourceStateResponse {
        ImportResourceStateResponse::default()
    }

    async fn read_data_source(&self, _type_name: &str, config: Value) -> ReadDataSourceResponse {
        ReadDataSourceResponse {
            state: config,
            diagnostics: Vec::new(),
        }
    }

    fn stop(&self) {}
}
