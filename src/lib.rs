//! terraform-provider-ecs: a Terraform provider for Alibaba Cloud ECS instances
//! whose heart is changing an instance's type and bandwidth in place, safely.
//!
//! # Layout
//! Five concerns, five modules; dependencies point one way.
//! - [`protocol`]: Terraform's side (handshake, mutual TLS, tfplugin5 gRPC,
//!   msgpack values). Knows nothing of ECS.
//! - [`ecs`]: the ECS API client (signing, transport, retries, rate limit,
//!   typed errors). Knows nothing of Terraform.
//! - [`planner`]: pure sequencing of resizes: observed instance + desired
//!   config → ordered steps. No I/O.
//! - [`resources`]: schemas and glue; the only place the three above meet.
//! - [`emulator`]: a local ECS endpoint for the demo, tests and users' CI.
pub mod ecs;
pub mod emulator;
pub mod planner;
pub mod protocol;
pub mod resources;
