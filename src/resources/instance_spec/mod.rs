//! The `ecs_instance_spec` resource: the type, bandwidth and (optionally)
//! power state of an instance another configuration owns.
//!
//! A thin adapter over the `ecs_instance` engine: each request is
//! translated into `ecs_instance`'s shape ([`shape`]) and handed to the same
//! plan, apply, read and import functions, so the planner, the plan's
//! warnings, the executor, the rolling `max_unavailable` slots (shared with
//! the `ecs_instance` resources of the same provider configuration), the
//! stop marker, the private state (cooldown memory, restart after an
//! interruption) are the engine's own, not copies. What is the spec's:
//! - **Create adopts**: the plan reads the instance and plans the
//!   differences as an update of it (what Terraform would plan for an
//!   `ecs_instance` just imported); the apply reads it again and runs
//!   that update. Read-only facts always come from the live instance, so
//!   nothing but the managed attributes is ever sent.
//! - **Saved plans**: the adoption's plan records the managed attributes
//!   as it read them ([`shape::ADOPTED_FROM`], known in the plan), so
//!   Terraform refuses a saved plan whose apply-time re-plan reads
//!   something else, and the apply hands the engine that record as the
//!   prior state, so its "nothing the plan did not show" check covers the
//!   instant between that re-plan and the apply's own read.
//! - **Delete lets go**: no API call at all.
//! - **Gone**: an instance deleted by its owner leaves state with a
//!   warning at the next refresh (not an error on every run); a plan to
//!   adopt an instance that does not exist is refused at `instance_id`.

pub mod shape;

use super::instance::{self, schema as instance_schema};
use super::{attrs, Context, Resource};
use crate::protocol::{
    ApplyResourceChangeRequest, ApplyResourceChangeResponse, AttributePath, Diagnostic,
    ImportResourceStateResponse, ImportedResource, PlanResourceChangeRequest,
    PlanResourceChangeResponse, ReadResourceRequest, ReadResourceResponse, Schema, Value,
};
use shape::{Operation, ADOPTED_FROM, FACTS, MANAGED, TYPE_NAME};
use std::sync::Arc;

/// The `ecs_instance_spec` resource type.
pub struct EcsInstanceSpec;

fn is_null(v: &Value) -> bool {
    matches!(v, Value::Null)
}

/// Static checks: the engine's, on the attributes the spec shares with
/// `ecs_instance`, plus the spec's own.
pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for name in FACTS.iter().chain(&["id"]) {
        if !is_null(attrs::get(config, name)) {
            diags.push(
                Diagnostic::error(
                    "Value For Unconfigurable Attribute",
                    format!("{name} is the instance's own (read from ECS) and cannot be configured here. Remove the {name} line."),
                )
                .at(AttributePath::attr(*name)),
            );
        }
    }
    if let Some(id) = attrs::string(config, "instance_id") {
        let id = id.trim();
        if !id.starts_with("i-") || id.len() <= 2 {
            diags.push(
                Diagnostic::error(
                    "Invalid Instance ID",
                    format!("instance_id = \"{id}\" is not an ECS instance ID: those look like \"i-bp1…\" (alicloud_instance's id attribute, or the ecs_instances data source's instances[*].id)."),
                )
                .at(AttributePath::attr("instance_id")),
            );
        }
    }
    // Only what the spec configures reaches the engine's checks (the
    // facts were refused above).
    let mut shared = shape::to_instance(config, Operation::Update);
    for name in FACTS {
        attrs::set(&mut shared, name, Value::Null);
    }
    attrs::set(
        &mut shared,
        "timeouts",
        attrs::get(config, "timeouts").clone(),
    );
    diags.extend(instance::validate::validate(&shared));
    diags
}

fn not_found(ctx: &Context, id: &str) -> Diagnostic {
    Diagnostic::error(
        "Instance To Adopt Does Not Exist",
        format!(
            "No instance \"{id}\" exists in region {}, so there is nothing to adopt. Check the ID and the provider's region; if the instance was deleted, remove this resource (or its key in for_each) from the configuration.",
            ctx.settings.region
        ),
    )
    .at(AttributePath::attr("instance_id"))
}

fn read_failed(id: &str, e: &crate::ecs::Error) -> Diagnostic {
    Diagnostic::error("Could Not Read Instance", format!("{id}: {e}"))
}

/// Create, replace or update: `planned` with every computed attribute
/// unknown except what the configuration sets.
fn all_unknown(proposed: &Value) -> Value {
    let mut planned = proposed.clone();
    let id = attrs::get(proposed, "instance_id").clone();
    attrs::set(
        &mut planned,
        "id",
        if matches!(id, Value::String(_)) {
            id
        } else {
            Value::Unknown
        },
    );
    for name in FACTS.iter().chain(&[ADOPTED_FROM]) {
        attrs::set(&mut planned, name, Value::Unknown);
    }
    for name in MANAGED {
        if is_null(attrs::get(proposed, name)) {
            attrs::set(&mut planned, name, Value::Unknown);
        }
    }
    planned
}

/// PlanResourceChange.
pub async fn plan(
    ctx: Option<Arc<Context>>,
    req: PlanResourceChangeRequest,
) -> PlanResourceChangeResponse {
    let (prior, proposed) = (&req.prior_state, &req.proposed_new_state);
    if is_null(proposed) {
        // Letting go: nothing to plan, nothing ECS could refuse.
        return PlanResourceChangeResponse {
            planned_private: req.prior_private,
            ..Default::default()
        };
    }
    if is_null(prior) {
        return plan_adopt(ctx, req).await;
    }
    if attrs::get(prior, "instance_id") != attrs::get(proposed, "instance_id") {
        return PlanResourceChangeResponse {
            planned_state: all_unknown(proposed),
            requires_replace: vec![AttributePath::attr("instance_id")],
            ..Default::default()
        };
    }
    let inner = PlanResourceChangeRequest {
        type_name: instance_schema::TYPE_NAME.into(),
        prior_state: shape::to_instance(prior, Operation::Update),
        proposed_new_state: shape::to_instance(proposed, Operation::Update),
        config: shape::to_instance(&req.config, Operation::Update),
        prior_private: req.prior_private,
    };
    let resp = instance::plan::plan(ctx, inner).await;
    PlanResourceChangeResponse {
        planned_state: shape::from_instance(&resp.planned_state, proposed),
        requires_replace: Vec::new(),
        planned_private: resp.planned_private,
        diagnostics: resp.diagnostics,
    }
}

/// The plan of an adoption: the instance as it is, updated to what the
/// configuration asks, through the engine's update plan (so its warnings
/// and refusals are `ecs_instance`'s, with the plan-time type check and
/// the rolling note).
async fn plan_adopt(
    ctx: Option<Arc<Context>>,
    req: PlanResourceChangeRequest,
) -> PlanResourceChangeResponse {
    let proposed = &req.proposed_new_state;
    let (Some(ctx), Some(id)) = (ctx, attrs::string(proposed, "instance_id")) else {
        // The instance (or the provider configuration) is known only at
        // apply. Terraform plans again then, with it known: that plan
        // reads the instance and its warnings come with the apply.
        let mut diagnostics = Vec::new();
        let may_stop = attrs::boolean(&req.config, "allow_stopping_for_update") != Some(false);
        if may_stop && !is_null(attrs::get(&req.config, "instance_type")) {
            diagnostics.push(
                Diagnostic::warning(
                    "Instance Not Known Until Apply",
                    "instance_id is known only at apply, so this plan cannot say whether adopting the instance changes its type, which stops it if it runs. To see that in the plan, apply what creates the instance first (terraform apply -target=...), or set allow_stopping_for_update = false to refuse such a stop.",
                )
                .at(AttributePath::attr("instance_type")),
            );
        }
        return PlanResourceChangeResponse {
            planned_state: all_unknown(proposed),
            diagnostics,
            ..Default::default()
        };
    };
    let id = id.trim().to_string();
    // Planned by Terraform's workers like reads: patient, so a fleet's adoptions share
    // DescribeInstances calls (one per 100) as its refresh does.
    let inst = match ctx.client.read_instance(&id).await {
        Ok(Some(inst)) => inst,
        Ok(None) => {
            return PlanResourceChangeResponse {
                diagnostics: vec![not_found(&ctx, &id)],
                ..Default::default()
            }
        }
        Err(e) => {
            return PlanResourceChangeResponse {
                diagnostics: vec![read_failed(&id, &e)],
                ..Default::default()
            }
        }
    };
    let seen = instance::state::from_instance(&inst, &Value::Null);
    let inner = PlanResourceChangeRequest {
        type_name: instance_schema::TYPE_NAME.into(),
        prior_state: shape::overlay(&seen, &Value::Null, Operation::Adopt, false),
        proposed_new_state: shape::overlay(&seen, proposed, Operation::Adopt, false),
        config: shape::to_instance(&req.config, Operation::Adopt),
        // What the instance tells (our stop marker, an economical stop).
        prior_private: instance::read::refreshed_private(&[], &inst),
    };
    let resp = instance::plan::plan(Some(ctx), inner).await;
    let mut planned = shape::from_instance(&resp.planned_state, proposed);
    if matches!(resp.planned_state, Value::Object(_)) {
        // What this plan was made on, known: an apply-time re-plan that
        // reads anything else is refused by Terraform.
        attrs::set(&mut planned, ADOPTED_FROM, shape::adopted_from(&seen));
    } else {
        planned = Value::Null;
    }
    PlanResourceChangeResponse {
        planned_state: planned,
        requires_replace: Vec::new(),
        planned_private: resp.planned_private,
        diagnostics: resp.diagnostics,
    }
}

/// ApplyResourceChange.
pub async fn apply(
    ctx: Arc<Context>,
    req: ApplyResourceChangeRequest,
) -> ApplyResourceChangeResponse {
    match (&req.prior_state, &req.planned_state) {
        // Letting go: no call; the instance stays exactly as it is.
        (_, Value::Null) => ApplyResourceChangeResponse::default(),
        (Value::Null, _) => adopt(&ctx, req).await,
        _ => {
            let planned = req.planned_state.clone();
            let inner = ApplyResourceChangeRequest {
                type_name: instance_schema::TYPE_NAME.into(),
                prior_state: shape::to_instance(&req.prior_state, Operation::Update),
                planned_state: shape::to_instance(&planned, Operation::Update),
                config: shape::to_instance(&req.config, Operation::Update),
                planned_private: req.planned_private,
            };
            let resp = instance::apply::apply(ctx, inner).await;
            ApplyResourceChangeResponse {
                new_state: shape::from_instance(&resp.new_state, &planned),
                private: resp.private,
                diagnostics: resp.diagnostics,
            }
        }
    }
}

/// Create: the engine's update, from the instance as it is now to the
/// planned values. A failure returns what is really there (Terraform
/// keeps it, tainted: the next plan adopts again, which costs no call).
async fn adopt(ctx: &Arc<Context>, req: ApplyResourceChangeRequest) -> ApplyResourceChangeResponse {
    let planned = req.planned_state.clone();
    let id = attrs::string(&planned, "instance_id")
        .unwrap_or_default()
        .trim()
        .to_string();
    let inst = match ctx.client.describe_instance_patiently(&id).await {
        Ok(Some(inst)) => inst,
        Ok(None) => {
            return ApplyResourceChangeResponse {
                diagnostics: vec![not_found(ctx, &id)],
                ..Default::default()
            }
        }
        Err(e) => {
            return ApplyResourceChangeResponse {
                diagnostics: vec![read_failed(&id, &e)],
                ..Default::default()
            }
        }
    };
    let live = instance::state::from_instance(&inst, &Value::Null);
    // The instance as the plan saw it: the engine refuses to do anything
    // on the live one that the plan did not show (Terraform refused any
    // difference its apply-time re-plan read; this covers the instant
    // since).
    let record = attrs::get(&planned, ADOPTED_FROM).clone();
    let prior = shape::overlay(
        &shape::as_planned_on(&live, &record),
        &Value::Null,
        Operation::Adopt,
        false,
    );
    let mut planned_inner = shape::overlay(&live, &planned, Operation::Adopt, true);
    // Whatever the plan could not know (the instance was unknown then)
    // is the instance's.
    for name in MANAGED {
        if matches!(attrs::get(&planned_inner, name), Value::Unknown) {
            attrs::set(&mut planned_inner, name, attrs::get(&live, name).clone());
        }
    }
    let inner = ApplyResourceChangeRequest {
        type_name: instance_schema::TYPE_NAME.into(),
        prior_state: prior,
        planned_state: planned_inner,
        config: shape::to_instance(&req.config, Operation::Adopt),
        planned_private: req.planned_private,
    };
    let resp = instance::apply::apply(Arc::clone(ctx), inner).await;
    let mut new_state = shape::from_instance(&resp.new_state, &planned);
    if matches!(new_state, Value::Object(_)) && !matches!(record, Value::Object(_)) {
        attrs::set(&mut new_state, ADOPTED_FROM, shape::adopted_from(&live));
    }
    ApplyResourceChangeResponse {
        new_state,
        private: resp.private,
        diagnostics: resp.diagnostics,
    }
}

/// ReadResource: the engine's read; an instance that is gone leaves state
/// with a warning.
pub async fn read(ctx: &Context, req: ReadResourceRequest) -> ReadResourceResponse {
    let current = req.current_state.clone();
    let inner = ReadResourceRequest {
        type_name: instance_schema::TYPE_NAME.into(),
        current_state: shape::to_instance(&current, Operation::Update),
        private: req.private,
    };
    let mut resp = instance::read::read(ctx, inner).await;
    if is_null(&resp.new_state) && !is_null(&current) && resp.diagnostics.is_empty() {
        let id = attrs::string(&current, "instance_id").unwrap_or_default();
        resp.diagnostics.push(Diagnostic::warning(
            "Adopted Instance No Longer Exists",
            format!("{id} no longer exists (deleted by its owner, or outside Terraform), so this ecs_instance_spec was removed from state; nothing was changed. Remove it (or its key in for_each) from the configuration, or the next plan will refuse to adopt a missing instance."),
        ));
    }
    ReadResourceResponse {
        new_state: shape::from_instance(&resp.new_state, &current),
        private: resp.private,
        diagnostics: resp.diagnostics,
    }
}

/// `terraform import ecs_instance_spec.x i-…`: the instance as it is;
/// with the managed attributes unset in the configuration, the next plan
/// is empty.
pub async fn import(ctx: &Context, id: &str) -> ImportResourceStateResponse {
    let mut resp = instance::read::import(ctx, id).await;
    for r in &mut resp.imported {
        let mut state = shape::from_instance(&r.state, &Value::Null);
        if matches!(state, Value::Object(_)) {
            attrs::set(&mut state, ADOPTED_FROM, shape::adopted_from(&r.state));
        }
        *r = ImportedResource {
            type_name: TYPE_NAME.to_string(),
            state,
            private: std::mem::take(&mut r.private),
        };
    }
    resp
}

#[async_trait::async_trait]
impl Resource for EcsInstanceSpec {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        shape::schema()
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        validate(config)
    }

    async fn read(&self, ctx: Arc<Context>, req: ReadResourceRequest) -> ReadResourceResponse {
        read(&ctx, req).await
    }

    async fn plan(
        &self,
        ctx: Option<Arc<Context>>,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse {
        plan(ctx, req).await
    }

    async fn apply(
        &self,
        ctx: Arc<Context>,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse {
        apply(ctx, req).await
    }

    async fn import(&self, ctx: Arc<Context>, id: &str) -> ImportResourceStateResponse {
        import(&ctx, id).await
    }
}

#[cfg(test)]
mod tests;
