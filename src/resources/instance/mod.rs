//! The `ecs_instance` resource: an ECS instance whose type and bandwidth
//! change in place, one API modification at a time, with the instance down
//! only for stop + type change + start.
//!
//! # Layout
//! - [`attributes`]: the one table of attributes (type, mode, how Read
//!   gets it, what RunInstances sends, how a change is made), which the
//!   schema, Read, plan, apply and the docs read.
//! - [`schema`]: the schema built from it, names and defaults;
//!   [`validate`]: static checks.
//! - [`plan`]: PlanResourceChange (replace paths, unknowns, diagnostics,
//!   the stop warning), with [`type_check`] and [`place_check`] for the
//!   API questions (type availability; the new vSwitch's VPC and zone,
//!   read before the replace decision and given to it as data; private IP
//!   in its vSwitch, key pair on a Windows image).
//! - [`apply`]: create / update / delete; [`execute`] runs the planner's
//!   steps; [`wait`] polls; [`api`] holds the traits that make both testable.
//! - [`read`]: Read and Import; [`state`]: API ⇄ state ⇄ planner values.
//! - [`release`]: when ECS refuses to release an instance (deletion
//!   protection, subscriptions), said before anything changes.
//! - [`private`]: what Terraform keeps for us between runs; [`marker`]:
//!   what the instance itself keeps (a tag while we have it stopped);
//!   [`pending`]: the tag of a subscription type change owed a restart;
//!   [`timeouts`].
//! - [`error`]: why an apply failed, in words; [`interrupted`]: what a
//!   Ctrl-C left, one diagnostic per instance; [`api_errors`]: which
//!   attribute an ECS error code is about, and the remedy in our terms.

pub mod api;
pub mod api_errors;
pub mod apply;
pub mod attributes;
pub mod error;
pub mod execute;
pub mod interrupted;
pub mod marker;
pub mod pending;
pub mod place_check;
pub mod plan;
pub mod private;
pub mod read;
pub mod release;
pub mod schema;
pub mod state;
#[cfg(test)]
mod tests;
pub mod timeouts;
pub mod type_check;
pub mod validate;
pub mod wait;

use super::{Context, Resource};
use crate::protocol::{
    ApplyResourceChangeRequest, ApplyResourceChangeResponse, Diagnostic,
    ImportResourceStateResponse, PlanResourceChangeRequest, PlanResourceChangeResponse,
    ReadResourceRequest, ReadResourceResponse, Schema, Value,
};
use std::sync::Arc;

/// The `ecs_instance` resource type.
pub struct EcsInstance;

#[async_trait::async_trait]
impl Resource for EcsInstance {
    fn type_name(&self) -> &'static str {
        schema::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        validate::validate(config)
    }

    async fn read(&self, ctx: Arc<Context>, req: ReadResourceRequest) -> ReadResourceResponse {
        read::read(&ctx, req).await
    }

    async fn plan(
        &self,
        ctx: Option<Arc<Context>>,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse {
        plan::plan(ctx, req).await
    }

    async fn apply(
        &self,
        ctx: Arc<Context>,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse {
        apply::apply(ctx, req).await
    }

    async fn import(&self, ctx: Arc<Context>, id: &str) -> ImportResourceStateResponse {
        read::import(&ctx, id).await
    }
}
