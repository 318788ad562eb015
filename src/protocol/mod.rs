//! Terraform's side: the go-plugin handshake, mutual TLS, the tfplugin5 gRPC
//! services, and values on the wire. This module knows nothing of ECS.
//!
//! # Layout
//! - Plain types the rest of the crate uses: [`value`] (+ `msgpack`, `json`,
//!   `type_json` codecs), [`schema`], [`diag`], and the [`Provider`] trait
//!   with its request/response structs ([`provider`]).
//! - The wire, private: `proto` (generated from `proto/*.proto`),
//!   `to_proto`/`from_proto` (one conversion per message), `server` (the
//!   tfplugin5 service), `side` (go-plugin's controller, stdio, broker).
//! - The process: [`serve`] (entry point), `handshake`, `listen`, `tls`,
//!   and [`log`] (go-hclog JSON lines on stderr).
//! - [`docs`]: registry documentation rendered from a schema (used by
//!   `tests/docs.rs` and `make docs`, not by the plugin).
pub mod diag;
pub mod docs;
mod from_proto;
mod handshake;
mod json;
mod listen;
pub mod log;
mod msgpack;
mod proto;
pub mod provider;
pub mod schema;
pub mod serve;
mod server;
mod side;
mod tls;
mod to_proto;
mod type_json;
pub mod value;
mod value_error;

pub use diag::{AttributePath, Diagnostic, PathStep, Severity};
pub use msgpack::UNKNOWN as UNKNOWN_MSGPACK;
pub use provider::*;
pub use schema::*;
pub use serve::{run, serve, ServeOptions};
pub use type_json::TypeJsonError;
pub use value::{Number, Type, Value};
pub use value_error::ValueError;
