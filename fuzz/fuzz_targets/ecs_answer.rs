//! Feeds arbitrary answers to the ECS client's parsing: the first two bytes
//! are the HTTP status (mod 600), the rest the body, decoded as every answer
//! shape the client knows (2xx) or as a JSON/XML/HTML error body.
//! Invariant: a value or a displayable error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_ecs::ecs::fuzzing::parse_answer;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = u16::from_be_bytes([data[0], data[1]]) % 600;
    let _ = parse_answer(status, &data[2..]);
});
