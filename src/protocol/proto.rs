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

#[cfg(test)]
mod tests {
    use super::tfplugin5::get_metadata;
    use prost::Message;

    /// Field numbers are the wire: a wrong one goes unnoticed by every peer that
    /// ignores the field, so the ones that differ between tfplugin5 and
    /// tfplugin6 are pinned here.
    #[test]
    fn get_metadata_actions_is_field_8_as_in_protocol_5() {
        let response = get_metadata::Response {
            actions: vec![get_metadata::ActionMetadata {
                type_name: "a".into(),
            }],
            ..Default::default()
        };
        // Field 8, length-delimited: (8 << 3) | 2 = 0x42; the nested message
        // holds field 1 = "a".
        assert_eq!(response.encode_to_vec(), [0x42, 3, 0x0a, 1, b'a']);
    }
}
