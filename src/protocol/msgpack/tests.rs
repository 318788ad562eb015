//! Golden bytes: each case pins the exact msgpack Terraform sends or reads.

use super::super::diag::AttributePath;
use super::*;

fn bytes(hex_text: &str) -> Vec<u8> {
    hex::decode(hex_text.replace(' ', "")).expect("test hex")
}

fn obj(attrs: &[(&str, Type)]) -> Type {
    Type::object(attrs.iter().map(|(k, t)| (*k, t.clone())))
}

fn dynamic(ty: Type, value: Value) -> Value {
    Value::Dynamic(Box::new((ty, value)))
}

/// Cases that encode to exactly these bytes and decode back unchanged.
fn round_trip_cases() -> Vec<(&'static str, Type, Value, &'static str)> {
    vec![
        // Null of any type: an attribute left unset.
        ("null", Type::String, Value::Null, "c0"),
        // Unknown of any type: a value only known after apply.
        ("unknown", Type::Number, Value::Unknown, "d4 00 00"),
        (
            "unknown list",
            Type::list(Type::String),
            Value::Unknown,
            "d4 00 00",
        ),
        ("empty string", Type::String, "".into(), "a0"),
        ("string", Type::String, "hi".into(), "a2 68 69"),
        ("zero", Type::Number, 0i64.into(), "00"),
        ("negative fixint", Type::Number, (-1i64).into(), "ff"),
        ("int16", Type::Number, (-300i64).into(), "d1 fe d4"),
        ("uint16", Type::Number, 300i64.into(), "cd 01 2c"),
        (
            "i64 min",
            Type::Number,
            i64::MIN.into(),
            "d3 80 00 00 00 00 00 00 00",
        ),
        (
            "float",
            Type::Number,
            1.5f64.into(),
            "cb 3f f8 00 00 00 00 00 00",
        ),
        // Beyond int64: cty sends the decimal text.
        (
            "big",
            Type::Number,
            Value::Number(Number::Big("18446744073709551616".into())),
            "b4 3138343436373434303733373039353531363136",
        ),
        ("true", Type::Bool, true.into(), "c3"),
        ("false", Type::Bool, false.into(), "c2"),
        (
            "empty list",
            Type::list(Type::String),
            Value::List(vec![]),
            "90",
        ),
        (
            "list",
            Type::list(Type::String),
            Value::List(vec!["a".into(), Value::Unknown]),
            "92 a1 61 d4 00 00",
        ),
        (
            "set",
            Type::set(Type::Number),
            Value::Set(vec![1i64.into()]),
            "91 01",
        ),
        (
            "map",
            Type::map(Type::Number),
            Value::Map([("k".to_string(), 1i64.into())].into()),
            "81 a1 6b 01",
        ),
        (
            "tuple",
            Type::Tuple(vec![Type::String, Type::Bool]),
            Value::Tuple(vec!["x".into(), true.into()]),
            "92 a1 78 c3",
        ),
        // Objects carry every attribute, in name order, null ones as nil.
        (
            "object",
            obj(&[("a", Type::Number), ("b", Type::String)]),
            Value::object([("a", Value::Null), ("b", "x".into())]),
            "82 a1 61 c0 a1 62 a1 78",
        ),
        ("empty object", obj(&[]), Value::object::<String>([]), "80"),
        // dynamic: [type JSON as binary, value].
        (
            "dynamic string",
            Type::Dynamic,
            dynamic(Type::String, "x".into()),
            "92 c4 08 22737472696e6722 a1 78",
        ),
        (
            "dynamic list",
            Type::Dynamic,
            dynamic(Type::list(Type::Bool), Value::List(vec![true.into()])),
            "92 c4 0f 5b226c697374222c22626f6f6c225d 91 c3",
        ),
        ("dynamic null", Type::Dynamic, Value::Null, "c0"),
        ("dynamic unknown", Type::Dynamic, Value::Unknown, "d4 00 00"),
    ]
}

#[test]
fn encodes_golden_bytes() {
    for (name, ty, value, hex_text) in round_trip_cases() {
        let encoded = value
            .to_msgpack(&ty)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            hex::encode(&encoded),
            hex::encode(bytes(hex_text)),
            "{name}"
        );
    }
}

#[test]
fn decodes_golden_bytes() {
    for (name, ty, value, hex_text) in round_trip_cases() {
        let decoded =
            Value::from_msgpack(&bytes(hex_text), &ty).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decoded, value, "{name}");
    }
}

/// Forms other encoders (or newer Terraform) produce, which we only read.
#[test]
fn decodes_other_encodings() {
    let big = |s: &str| Value::Number(Number::Big(s.into()));
    let cases: Vec<(&str, Type, &str, Value)> = vec![
        // Terraform ≥1.6: unknown with refinements ({1: true} = "not null").
        (
            "refined unknown",
            Type::String,
            "c7 03 0c 81 01 c3",
            Value::Unknown,
        ),
        (
            "fixext16 unknown",
            Type::Bool,
            "d8 05 00000000000000000000000000000000",
            Value::Unknown,
        ),
        (
            "ext32 unknown",
            Type::Bool,
            "c9 00000001 07 00",
            Value::Unknown,
        ),
        ("number as string", Type::Number, "a2 31 32", 12i64.into()),
        (
            "fraction as string",
            Type::Number,
            "a3 30 2e 31",
            big("0.1"),
        ),
        ("float32", Type::Number, "ca 3f c0 00 00", 1.5f64.into()),
        ("uint8", Type::Number, "cc ff", 255i64.into()),
        ("uint32", Type::Number, "ce 00 01 00 00", 65536i64.into()),
        (
            "uint64 max",
            Type::Number,
            "cf ffffffffffffffff",
            big("18446744073709551615"),
        ),
        ("int8", Type::Number, "d0 80", (-128i64).into()),
        ("int32", Type::Number, "d2 ff ff ff fe", (-2i64).into()),
        ("str8", Type::String, "d9 02 68 69", "hi".into()),
        ("str16", Type::String, "da 00 02 68 69", "hi".into()),
        ("binary as string", Type::String, "c4 02 68 69", "hi".into()),
        (
            "array16",
            Type::list(Type::Bool),
            "dc 00 01 c3",
            Value::List(vec![true.into()]),
        ),
        (
            "map16",
            Type::map(Type::Bool),
            "de 00 01 a1 6b c2",
            Value::Map([("k".to_string(), false.into())].into()),
        ),
        (
            "dynamic with string type",
            Type::Dynamic,
            "92 a6 22626f6f6c22 c3",
            dynamic(Type::Bool, true.into()),
        ),
        (
            "object attributes out of order",
            obj(&[("a", Type::Bool), ("b", Type::Bool)]),
            "82 a1 62 c2 a1 61 c3",
            Value::object([("a", true.into()), ("b", false.into())]),
        ),
    ];
    for (name, ty, hex_text, want) in cases {
        let got =
            Value::from_msgpack(&bytes(hex_text), &ty).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
    }
}

/// Bad input: each case names the message fragment and the path.
#[test]
fn rejects_malformed_input_with_a_path() {
    let ab = obj(&[("a", Type::Number), ("b", Type::String)]);
    let cases: Vec<(&str, Type, &str, &str, AttributePath)> = vec![
        (
            "empty",
            Type::String,
            "",
            "unexpected end",
            AttributePath::default(),
        ),
        (
            "truncated string",
            Type::String,
            "a3 61",
            "unexpected end",
            AttributePath::default(),
        ),
        (
            "trailing bytes",
            Type::Bool,
            "c3 c3",
            "unexpected bytes",
            AttributePath::default(),
        ),
        (
            "wrong kind",
            Type::Bool,
            "a1 61",
            "expected a bool, found a string",
            AttributePath::default(),
        ),
        (
            "missing attribute",
            ab.clone(),
            "81 a1 61 01",
            "missing attribute \"b\"",
            AttributePath::default(),
        ),
        (
            "extra attribute",
            ab.clone(),
            "83 a1 61 01 a1 62 a0 a1 63 c0",
            "unsupported attribute \"c\"",
            AttributePath::default(),
        ),
        (
            "attribute of wrong type",
            ab.clone(),
            "82 a1 61 a1 78 a1 62 a0",
            "\"x\" is not a number",
            AttributePath::attr("a"),
        ),
        (
            "duplicate attribute",
            ab,
            "82 a1 61 01 a1 61 02",
            "twice",
            AttributePath::attr("a"),
        ),
        (
            "nested element",
            Type::list(Type::map(Type::Bool)),
            "91 81 a1 6b 01",
            "expected a bool",
            AttributePath::default().index(0).key("k"),
        ),
        (
            "huge array length",
            Type::list(Type::Bool),
            "dd ffffffff c3",
            "length exceeds",
            AttributePath::default(),
        ),
        (
            "huge ext length",
            Type::Bool,
            "c9 ffffffff 00",
            "length exceeds",
            AttributePath::default(),
        ),
        (
            "invalid utf-8",
            Type::String,
            "a2 ff fe",
            "UTF-8",
            AttributePath::default(),
        ),
        (
            "NaN",
            Type::Number,
            "cb 7ff8000000000000",
            "NaN",
            AttributePath::default(),
        ),
        (
            "tuple length",
            Type::Tuple(vec![Type::Bool]),
            "92 c3 c3",
            "1 elements, found 2",
            AttributePath::default(),
        ),
        (
            "dynamic shape",
            Type::Dynamic,
            "91 c3",
            "[type, value]",
            AttributePath::default(),
        ),
        (
            "dynamic bad type",
            Type::Dynamic,
            "92 a3 222122 c3",
            "invalid type JSON",
            AttributePath::default(),
        ),
        (
            "reserved marker",
            Type::Number,
            "c1",
            "expected a number",
            AttributePath::default(),
        ),
    ];
    for (name, ty, hex_text, fragment, path) in cases {
        let err = Value::from_msgpack(&bytes(hex_text), &ty).expect_err(name);
        assert!(err.message.contains(fragment), "{name}: {err}");
        assert_eq!(err.path, path, "{name}");
    }
}

#[test]
fn bounds_nesting_depth() {
    let mut ty = Type::Bool;
    let mut data = vec![0xc3];
    for _ in 0..(MAX_DEPTH + 10) {
        ty = Type::list(ty);
        data.insert(0, 0x91);
    }
    let err = Value::from_msgpack(&data, &ty).expect_err("too deep");
    assert!(err.message.contains("too deeply"), "{err}");
}

#[test]
fn encoding_checks_the_value_against_the_type() {
    let ab = obj(&[("a", Type::Number)]);
    let err = Value::object([("a", Value::from("x"))])
        .to_msgpack(&ab)
        .unwrap_err();
    assert_eq!(err.path, AttributePath::attr("a"));
    assert!(
        err.message
            .contains("expected a value of type \"number\", found a string"),
        "{err}"
    );

    let err = Value::object([("zzz", Value::Null)])
        .to_msgpack(&ab)
        .unwrap_err();
    assert!(
        err.message.contains("\"zzz\" is not in the schema"),
        "{err}"
    );

    let err = Value::Number(Number::Float(f64::NAN))
        .to_msgpack(&Type::Number)
        .unwrap_err();
    assert!(err.message.contains("NaN"), "{err}");

    let err = Value::Tuple(vec![])
        .to_msgpack(&Type::Tuple(vec![Type::Bool]))
        .unwrap_err();
    assert!(err.message.contains("tuple of 1"), "{err}");

    // A plain string where the schema says dynamic: the type is unknowable.
    assert!(Value::from("x").to_msgpack(&Type::Dynamic).is_err());
}

#[test]
fn missing_object_attributes_are_sent_as_null() {
    let ty = obj(&[("a", Type::Number), ("b", Type::String)]);
    let encoded = Value::object([("b", Value::from("x"))])
        .to_msgpack(&ty)
        .unwrap();
    assert_eq!(encoded, bytes("82 a1 61 c0 a1 62 a1 78"));
}

#[test]
fn dynamic_value_at_a_concrete_type_is_unwrapped() {
    let encoded = dynamic(Type::Bool, true.into())
        .to_msgpack(&Type::Bool)
        .unwrap();
    assert_eq!(encoded, bytes("c3"));
}
