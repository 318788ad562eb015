//! ReadResource and ImportResourceState: the instance as ECS reports it.
//!
//! Reads go through the client's patient batched lookup, so refreshing a
//! fleet costs about one DescribeInstances per hundred instances. An instance that no longer
//! exists reads as null, which Terraform plans to create again.

use super::private::Private;
use super::schema::TYPE_NAME;
use super::state;
use crate::protocol::{
    Diagnostic, ImportResourceStateResponse, ImportedResource, ReadResourceRequest,
    ReadResourceResponse, Value,
};
use crate::resources::{attrs, Context};

pub async fn read(ctx: &Context, req: ReadResourceRequest) -> ReadResourceResponse {
    let Some(id) = attrs::string(&req.current_state, "id") else {
        return ReadResourceResponse {
            new_state: req.current_state,
            private: req.private,
            diagnostics: Vec::new(),
        };
    };
    match ctx.client.read_instance(&id).await {
        Ok(Some(inst)) => ReadResourceResponse {
            new_state: state::from_instance(&inst, &req.current_state),
            private: Private::with_stopped_charging(&req.private, state::stopped_charging(&inst)),
            diagnostics: Vec::new(),
        },
        Ok(None) => {
            tracing::info!(%id, "instance no longer exists; removing it from state");
            ReadResourceResponse {
                new_state: Value::Null,
                private: Vec::new(),
                diagnostics: Vec::new(),
            }
        }
        Err(e) => ReadResourceResponse {
            new_state: req.current_state,
            private: req.private,
            diagnostics: vec![Diagnostic::error(
                "Could Not Read Instance",
                format!("{id}: {e}"),
            )],
        },
    }
}

/// `terraform import ecs_instance.x i-…`. Config-only attributes are left
/// null (their defaults), so a configuration that does not set them plans
/// no change after the import.
pub async fn import(ctx: &Context, id: &str) -> ImportResourceStateResponse {
    let id = id.trim();
    let not_found = || {
        Diagnostic::error(
            "Cannot Import Non-Existent Instance",
            format!(
                "No instance \"{id}\" exists in region {}. Check the ID (it looks like i-…) and the provider's region.",
                ctx.settings.region
            ),
        )
    };
    if id.is_empty() {
        return ImportResourceStateResponse {
            imported: Vec::new(),
            diagnostics: vec![not_found()],
        };
    }
    match ctx.client.describe_instance(id).await {
        Ok(Some(inst)) => ImportResourceStateResponse {
            imported: vec![ImportedResource {
                type_name: TYPE_NAME.to_string(),
                state: state::from_instance(&inst, &Value::Null),
                private: Private::with_stopped_charging(&[], state::stopped_charging(&inst)),
            }],
            diagnostics: Vec::new(),
        },
        Ok(None) => ImportResourceStateResponse {
            imported: Vec::new(),
            diagnostics: vec![not_found()],
        },
        Err(e) => ImportResourceStateResponse {
            imported: Vec::new(),
            diagnostics: vec![Diagnostic::error(
                "Could Not Read Instance",
                format!("{id}: {e}"),
            )],
        },
    }
}
