//! Property tests of the value codec: every (type, value) pair survives
//! msgpack encoding, and no byte string makes the decoder panic.

use proptest::prelude::*;
use std::collections::BTreeMap;
use terraform_provider_ecs::protocol::{Number, Type, Value};

fn arb_name() -> impl Strategy<Value = String> {
    "[a-z_]{1,8}"
}

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::btree_map(arb_name(), inner.clone(), 0..4).prop_map(Type::Object),
            prop::collection::vec(inner, 0..4).prop_map(Type::Tuple),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        any::<f64>()
            .prop_filter("cty numbers are never NaN", |f| !f.is_nan())
            .prop_map(Number::Float),
        // Only text that is not an i64: that decodes back to Int.
        "-?[0-9]{19,30}(\\.[0-9]{1,5})?"
            .prop_filter("beyond i64", |s| s.parse::<i64>().is_err())
            .prop_map(Number::Big),
    ]
}

/// A value of type `ty`, sometimes null or unknown at any level.
fn arb_value(ty: &Type) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(elem) => prop::collection::vec(arb_value(elem), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(elem) => prop::collection::vec(arb_value(elem), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(elem) => prop::collection::btree_map(any::<String>(), arb_value(elem), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attrs) => {
            let fields: Vec<BoxedStrategy<(String, Value)>> = attrs
                .iter()
                .map(|(name, ty)| {
                    let name = name.clone();
                    arb_value(ty).prop_map(move |v| (name.clone(), v)).boxed()
                })
                .collect();
            fields
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<BTreeMap<_, _>>()))
                .boxed()
        }
        Type::Tuple(elems) => elems
            .iter()
            .map(arb_value)
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Dynamic => arb_type()
            .prop_flat_map(|inner| {
                arb_value(&inner).prop_map(move |v| Value::Dynamic(Box::new((inner.clone(), v))))
            })
            .boxed(),
    };
    prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => known].boxed()
}

fn arb_typed_value() -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(|ty| arb_value(&ty).prop_map(move |v| (ty.clone(), v)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn msgpack_round_trips((ty, value) in arb_typed_value()) {
        let bytes = value.to_msgpack(&ty).expect("generated values fit their type");
        let back = Value::from_msgpack(&bytes, &ty).expect("our own bytes decode");
        prop_assert_eq!(back, value);
    }

    #[test]
    fn type_json_round_trips(ty in arb_type()) {
        prop_assert_eq!(Type::from_json_bytes(&ty.to_json_bytes()).unwrap(), ty);
    }

    /// Arbitrary bytes: an error or a value, never a panic; and whatever
    /// decodes survives re-encoding.
    #[test]
    fn decoder_never_panics_on_arbitrary_bytes(
        ty in arb_type(),
        bytes in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        if let Ok(value) = Value::from_msgpack(&bytes, &ty) {
            let again = value.to_msgpack(&ty).expect("a decoded value re-encodes");
            prop_assert_eq!(Value::from_msgpack(&again, &ty).unwrap(), value);
        }
        let _ = Value::from_json(&bytes, &ty);
    }

    /// Valid encodings with one byte changed or the tail cut off: the
    /// inputs most likely to reach deep into the decoder.
    #[test]
    fn decoder_never_panics_on_damaged_values(
        (ty, value) in arb_typed_value(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let mut bytes = value.to_msgpack(&ty).unwrap();
        let i = at.index(bytes.len());
        if cut { bytes.truncate(i) } else { bytes[i] = byte }
        if let Ok(value) = Value::from_msgpack(&bytes, &ty) {
            let again = value.to_msgpack(&ty).expect("a decoded value re-encodes");
            prop_assert_eq!(Value::from_msgpack(&again, &ty).unwrap(), value);
        }
    }
}
