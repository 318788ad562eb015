//! Feeds arbitrary bytes to the value decoders. The first byte picks the
//! type (a small set covering every kind, `dynamic` included); the rest is
//! the msgpack (and JSON) document. Invariants: decoding never panics, and
//! whatever decodes re-encodes and decodes to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_ecs::protocol::{Type, Value};

fn pick_type(selector: u8) -> Type {
    let object = Type::object([
        ("id", Type::String),
        ("size", Type::Number),
        ("tags", Type::map(Type::String)),
        ("extra", Type::Dynamic),
    ]);
    match selector % 8 {
        0 => Type::String,
        1 => Type::Number,
        2 => Type::Bool,
        3 => Type::Dynamic,
        4 => Type::list(object.clone()),
        5 => Type::set(Type::Number),
        6 => Type::Tuple(vec![Type::String, Type::Dynamic]),
        _ => object,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, bytes)) = data.split_first() else {
        return;
    };
    let ty = pick_type(*selector);
    if let Ok(value) = Value::from_msgpack(bytes, &ty) {
        let again = value.to_msgpack(&ty).expect("a decoded value re-encodes");
        assert_eq!(Value::from_msgpack(&again, &ty).expect("re-decodes"), value);
    }
    let _ = Value::from_json(bytes, &ty);
});
