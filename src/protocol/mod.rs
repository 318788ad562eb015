//! Terraform's side: the go-plugin handshake, mutual TLS, the tfplugin5 gRPC
//! services, and values on the wire. This module knows nothing of ECS.
pub mod diag;
pub mod provider;
pub mod schema;
pub mod value;

pub use diag::{AttributePath, Diagnostic, PathStep, Severity};
pub use provider::*;
pub use schema::*;
pub use value::{Number, Type, Value};
