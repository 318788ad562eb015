//! Sequencing (filled in by the planner work).
use super::model::*;

/// The ordered steps from `observed` to `desired` under `limits`.
pub fn plan(
    observed: &Observed,
    desired: &Desired,
    limits: &Limits,
) -> Result<Vec<Step>, PlanError> {
    let _ = (observed, desired, limits);
    unimplemented!("planner")
}
