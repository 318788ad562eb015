//! Terraform's side: the go-plugin handshake, mutual TLS, the tfplugin5 gRPC
//! services, and values on the wire. This module knows nothing of ECS.
pub mod diag;
mod json;
mod msgpack;
mod proto;
pub mod provider;
pub mod schema;
mod type_json;
pub mod value;
mod value_error;

pub use diag::{AttributePath, Diagnostic, PathStep, Severity};
pub use msgpack::UNKNOWN as UNKNOWN_MSGPACK;
pub use provider::*;
pub use schema::*;
pub use type_json::TypeJsonError;
pub use value::{Number, Type, Value};
pub use value_error::ValueError;
