//! What a managed resource or data source implements. Dispatch by type name
//! lives in `mod.rs`; each type lives in its own file.

use super::Context;
use crate::protocol::{
    ApplyResourceChangeRequest, ApplyResourceChangeResponse, Diagnostic,
    ImportResourceStateResponse, PlanResourceChangeRequest, PlanResourceChangeResponse,
    ReadDataSourceResponse, ReadResourceRequest, ReadResourceResponse, Schema, Value,
};
use std::sync::Arc;

/// A managed resource type. `ctx` is `None` until the provider is configured
/// (validate runs before Configure; plan may run with unknown provider config).
#[async_trait::async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Static checks of the configuration (may hold unknowns).
    fn validate(&self, _config: &Value) -> Vec<Diagnostic> {
        Vec::new()
    }
    async fn read(&self, ctx: Arc<Context>, req: ReadResourceRequest) -> ReadResourceResponse;
    async fn plan(
        &self,
        ctx: Option<Arc<Context>>,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse;
    async fn apply(
        &self,
        ctx: Arc<Context>,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse;
    async fn import(&self, ctx: Arc<Context>, id: &str) -> ImportResourceStateResponse;
}

/// A data source type.
#[async_trait::async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value) -> Vec<Diagnostic> {
        Vec::new()
    }
    async fn read(&self, ctx: Arc<Context>, config: Value) -> ReadDataSourceResponse;
}
