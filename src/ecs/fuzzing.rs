//! Entry points for the fuzz targets (`fuzz/`) and their stable-toolchain
//! smoke (`tests/fuzz_smoke.rs`): the client's parsing of ECS answers, with
//! no network. Hidden from the docs; not an API to build on.

use super::model::{parse_api_time, Instance, InstanceType};
use super::transport;
use super::wire;

/// Parses `body` as an answer with HTTP `status` the way the client does:
/// a 2xx body as every answer shape the client decodes (converted to the
/// models callers see), anything else as an error body. Returns the error's
/// display text, or the number of items decoded. Must never panic.
pub fn parse_answer(status: u16, body: &[u8]) -> String {
    if !(200..300).contains(&status) {
        return transport::api_error("Fuzz", status, body, None).to_string();
    }
    let mut decoded = 0usize;
    if let Ok(d) = wire::decode::<wire::DescribeInstances>(body) {
        for i in d.instances.instance.into_iter().map(Instance::from) {
            decoded += 1 + usize::from(parse_api_time(&i.creation_time).is_some());
        }
    }
    if let Ok(d) = wire::decode::<wire::DescribeInstanceTypes>(body) {
        decoded += d
            .instance_types
            .instance_type
            .into_iter()
            .map(InstanceType::from)
            .count();
    }
    if let Ok(d) = wire::decode::<wire::DescribeResourcesModification>(body) {
        decoded += d.instance_types().len();
    }
    if let Ok(d) = wire::decode::<wire::RunInstances>(body) {
        decoded += d.instance_id_sets.instance_id_set.len();
    }
    decoded.to_string()
}
