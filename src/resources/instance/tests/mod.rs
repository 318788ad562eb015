//! Tests of the resource's logic without Terraform or a server: the plan as
//! table cases, and the step executor against a fake instance on a virtual
//! clock.
mod executor;
mod fake;
mod plan_cases;
mod rolling;
