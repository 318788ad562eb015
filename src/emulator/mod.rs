//! `ecs-emulator`: a local, faithful Alibaba Cloud ECS endpoint, so demos,
//! tests and users' CI run without a cloud account. The official SDKs talk
//! to it unchanged (V1 and V3 signatures, JSON or XML answers).
//!
//! # Layout
//! - [`config`]: every setting ([`Config`]), shared by CLI and tests.
//! - [`server`]: [`router`], [`serve`], [`start`]; the accept loop that can
//!   drop a connection on purpose.
//! - `http`: the request pipeline (auth → throttle → faults → idempotence →
//!   action → persist → journal → answer).
//! - `auth`: V1/V3 verification with the client's own `crate::ecs::sign`.
//! - `actions`: one module per group of ECS actions, pure functions over
//!   the store.
//! - `store`, `instance`, `catalog`, `network`: the world: instances and
//!   their timed transitions (and the settings that wait for a restart), the
//!   instance-type catalog with stock per zone, and the VPCs, vSwitches,
//!   security groups, key pairs and images around instances;
//!   `subscription`: what a subscription (PrePaid) instance carries beyond
//!   the API's fields, and the orders of its changes; `timing`: how long
//!   each transition takes (`--transition`, or spread by family and at
//!   random with `--transition-spread`).
//! - `fuzzing`: requests through the router with no socket, for `fuzz/`.
//! - [`tls`]: `--tls`, a generated CA and server certificate or given files.
//! - `admin`, `journal`: the loopback-only admin API and its request and
//!   status-change journal; `hooks`: test hooks that hold, drop or slow one
//!   chosen request (interrupting a client at an exact step).
//! - `persist`, `seed`, `fields`: the state file and the seed file.
//! - [`timeline`]: the journal drawn as a self-contained HTML page (pure:
//!   journal in, page out), served at `/_emulator/timeline` and written by
//!   `ecs-emulator timeline --journal FILE`.
//! - [`identity`]: STS (AssumeRole, AssumeRoleWithOIDC), the ECS metadata
//!   service, a credentials URI, OIDC tokens, issued credentials that
//!   expire, and `--ram-policy`.
//!
//! The emulator keeps its own wire shapes (it does not import the client's
//! models), so a wrong field name cannot pass on both sides at once.
//! `docs/design/emulator.md` documents behaviour and every error choice.

mod actions;
mod admin;
mod auth;
pub mod catalog;
pub mod config;
mod error;
mod faults;
mod fields;
#[doc(hidden)]
pub mod fuzzing;
mod hooks;
mod http;
mod idempotence;
pub mod identity;
mod instance;
mod journal;
mod network;
mod params;
mod persist;
mod seed;
pub mod server;
mod state;
mod store;
mod subscription;
pub mod timeline;
mod timing;
pub mod tls;
mod wire;

pub use config::Config;
pub use error::ApiError;
pub use http::API_VERSION;
pub use server::{router, serve, start, ServerHandle};
pub use state::{Emulator, EmulatorError};

/// Names of the ECS actions the emulator implements.
pub fn actions() -> Vec<&'static str> {
    actions::names().collect()
}
