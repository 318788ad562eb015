//! Feeds arbitrary requests to the emulator's router (no socket): parameter
//! parsing, V1/V3 signature verification and every action. The first byte
//! picks the shape: an unsigned GET query, a correctly V1-signed GET of the
//! parameters (reaching the actions), or a form POST with arbitrary headers.
//! Invariant: every answer is a 2xx or 4xx API answer, never a 5xx.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use terraform_provider_ecs::emulator::fuzzing::Harness;

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(Harness::new)
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(rest).into_owned().collect();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let answer = match mode % 3 {
        0 => harness().request("GET", &format!("/?{query}"), &[], vec![]),
        1 => {
            let signed = harness().signed_v1_query(&pairs);
            harness().request("GET", &format!("/?{signed}"), &[], vec![])
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            let mut lines = text.lines();
            let headers: Vec<(String, String)> = lines
                .by_ref()
                .take(4)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let body: String = lines.collect::<Vec<_>>().join("\n");
            harness().request("POST", "/", &headers, body.into_bytes())
        }
    };
    if let Some((status, body)) = answer {
        assert!(
            (200..500).contains(&status),
            "status {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
});
