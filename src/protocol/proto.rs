//! The generated wire types and gRPC service traits (from `proto/`).
//!
//! Private to `protocol`: every other module of the crate speaks the plain
//! types of `value`, `schema`, `diag` and `provider`. The conversions live in
//! `to_proto.rs` and `from_proto.rs`.
#![allow(clippy::all, clippy::pedantic, dead_code, missing_docs)]

pub mod tfplugin5 {
    tonic::include_proto!("tfplugin5");
}

pub mod plugin {
    tonic::include_proto!("plugin");
}
