//! The service in-process: each RPC called directly, with a fake provider
//! that records what it was given and answers from a script.

use super::*;
use crate::protocol::diag::{AttributePath, Severity};
use crate::protocol::provider::*;
use crate::protocol::schema::{Attribute, Block, NestedBlock, Nesting};
use pb::provider_server::Provider as _;
use std::sync::Mutex;

const THING: &str = "test_thing";

fn thing_schema() -> Schema {
    Schema::new(
        1,
        Block::new()
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::required("name", Type::String))
            .attribute(Attribute::optional("size", Type::Number))
            .nested(NestedBlock::new(
                "disk",
                Nesting::List,
                Block::new().attribute(Attribute::required("gb", Type::Number)),
            )),
    )
}

/// Records each call's values; `bad_output` makes every answer carry a
/// value that does not fit the schema.
#[derive(Default)]
struct Fake {
    seen: Mutex<Vec<(String, Value)>>,
    bad_output: bool,
    stopped: std::sync::atomic::AtomicBool,
}

impl Fake {
    fn record(&self, call: &str, value: &Value) {
        self.seen
            .lock()
            .unwrap()
            .push((call.to_string(), value.clone()));
    }

    fn output(&self, value: Value) -> Value {
        if self.bad_output {
            Value::object([("size", Value::from("not a number"))])
        } else {
            value
        }
    }
}

#[async_trait::async_trait]
impl Provider for Fake {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            provider: Schema::new(
                0,
                Block::new().attribute(Attribute::optional("region", Type::String)),
            ),
            resources: [(THING.to_string(), thing_schema())].into(),
            data_sources: [(THING.to_string(), thing_schema())].into(),
        }
    }

    async fn validate_provider_config(&self, config: Value) -> Vec<Diagnostic> {
        self.record("validate_provider_config", &config);
        vec![Diagnostic::warning("Careful", "region").at(AttributePath::attr("region"))]
    }

    async fn validate_resource_config(&self, _: &str, config: Value) -> Vec<Diagnostic> {
        self.record("validate_resource_config", &config);
        Vec::new()
    }

    async fn validate_data_source_config(&self, _: &str, config: Value) -> Vec<Diagnostic> {
        self.record("validate_data_source_config", &config);
        Vec::new()
    }

    async fn configure(&self, version: &str, config: Value) -> Vec<Diagnostic> {
        self.record(&format!("configure {version}"), &config);
        Vec::new()
    }

    async fn upgrade_resource_state(
        &self,
        _: &str,
        version: i64,
        state: Value,
    ) -> (Value, Vec<Diagnostic>) {
        self.record(&format!("upgrade v{version}"), &state);
        (self.output(state), Vec::new())
    }

    async fn read_resource(&self, req: ReadResourceRequest) -> ReadResourceResponse {
        self.record("read", &req.current_state);
        ReadResourceResponse {
            new_state: self.output(req.current_state),
            private: b"p".to_vec(),
            diagnostics: Vec::new(),
        }
    }

    async fn plan_resource_change(
        &self,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse {
        self.record("plan", &req.proposed_new_state);
        PlanResourceChangeResponse {
            planned_state: self.output(req.proposed_new_state.with("id", Value::Unknown)),
            requires_replace: vec![AttributePath::attr("name")],
            planned_private: req.prior_private,
            diagnostics: Vec::new(),
        }
    }

    async fn apply_resource_change(
        &self,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse {
        self.record("apply", &req.planned_state);
        ApplyResourceChangeResponse {
            new_state: self.output(req.planned_state.with("id", "i-1")),
            private: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    async fn import_resource_state(
        &self,
        type_name: &str,
        id: &str,
    ) -> ImportResourceStateResponse {
        ImportResourceStateResponse {
            imported: vec![ImportedResource {
                type_name: type_name.to_string(),
                state: self.output(Value::object([("id", Value::from(id))])),
                private: Vec::new(),
            }],
            diagnostics: Vec::new(),
        }
    }

    async fn read_data_source(&self, _: &str, config: Value) -> ReadDataSourceResponse {
        ReadDataSourceResponse {
            state: self.output(config.with("id", "ds-1")),
            diagnostics: Vec::new(),
        }
    }

    fn stop(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn service(fake: Fake) -> (ProviderService, Arc<Fake>) {
    let fake = Arc::new(fake);
    (ProviderService::new(fake.clone()), fake)
}

fn thing_type() -> Type {
    thing_schema().value_type()
}

fn msgpack(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: value.to_msgpack(ty).unwrap(),
        json: Vec::new(),
    })
}

fn decode(dv: &Option<pb::DynamicValue>, ty: &Type) -> Value {
    Value::from_msgpack(&dv.as_ref().expect("a value").msgpack, ty).unwrap()
}

fn config() -> Value {
    Value::object([("name", Value::from("web")), ("size", 2i64.into())])
}

/// The single error diagnostic of a response.
fn only_error(diags: &[pb::Diagnostic]) -> &pb::Diagnostic {
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].severity, pb::diagnostic::Severity::Error as i32);
    &diags[0]
}

fn attr_steps(diag: &pb::Diagnostic) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    diag.attribute
        .as_ref()
        .map(|p| {
            p.steps
                .iter()
                .map(|s| match s.selector.as_ref().unwrap() {
                    Selector::AttributeName(n) => n.clone(),
                    Selector::ElementKeyString(k) => format!("[{k:?}]"),
                    Selector::ElementKeyInt(i) => format!("[{i}]"),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn schema_and_metadata_list_everything() {
    let (svc, _) = service(Fake::default());
    let schema = svc
        .get_schema(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(schema.provider.is_some());
    assert_eq!(schema.resource_schemas[THING].version, 1);
    assert!(schema.data_source_schemas.contains_key(THING));
    let meta = svc
        .get_metadata(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.resources[0].type_name, THING);
    assert_eq!(meta.data_sources[0].type_name, THING);
    assert!(meta.server_capabilities.is_some());
}

#[tokio::test]
async fn prepare_provider_config_returns_the_config_and_diagnostics() {
    let (svc, fake) = service(Fake::default());
    let ty = Type::object([("region", Type::String)]);
    let cfg = msgpack(&Value::object([("region", Value::Unknown)]), &ty);
    let resp = svc
        .prepare_provider_config(Request::new(pb::prepare_provider_config::Request {
            config: cfg.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.prepared_config, cfg);
    assert_eq!(
        resp.diagnostics[0].severity,
        pb::diagnostic::Severity::Warning as i32
    );
    assert_eq!(attr_steps(&resp.diagnostics[0]), ["region"]);
    assert_eq!(
        fake.seen.lock().unwrap()[0].1,
        Value::object([("region", Value::Unknown)])
    );
}

#[tokio::test]
async fn configure_passes_terraform_version_and_config() {
    let (svc, fake) = service(Fake::default());
    let ty = Type::object([("region", Type::String)]);
    let req = pb::configure::Request {
        terraform_version: "1.0.3".into(),
        config: msgpack(
            &Value::object([("region", Value::from("cn-hangzhou"))]),
            &ty,
        ),
        client_capabilities: None,
    };
    let resp = svc.configure(Request::new(req)).await.unwrap().into_inner();
    assert!(resp.diagnostics.is_empty());
    assert_eq!(fake.seen.lock().unwrap()[0].0, "configure 1.0.3");
}

#[tokio::test]
async fn plan_and_apply_round_trip_values() {
    let (svc, fake) = service(Fake::default());
    let ty = thing_type();
    let plan = svc
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: THING.into(),
            prior_state: None,
            proposed_new_state: msgpack(&config(), &ty),
            config: msgpack(&config(), &ty),
            prior_private: b"x".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let planned = decode(&plan.planned_state, &ty);
    assert!(planned.attr_is_unknown("id"));
    assert!(
        planned.get("disk").unwrap().is_null(),
        "missing attributes travel as null"
    );
    assert_eq!(plan.planned_private, b"x");
    assert_eq!(plan.requires_replace.len(), 1);
    assert!(!plan.legacy_type_system);

    let apply = svc
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: THING.into(),
            planned_state: plan.planned_state.clone(),
            config: msgpack(&config(), &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let state = decode(&apply.new_state, &ty);
    assert_eq!(state.get_str("id"), Some("i-1"));
    assert_eq!(state.get_i64("size"), Some(2));
    assert_eq!(fake.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn read_import_and_data_source() {
    let (svc, _) = service(Fake::default());
    let ty = thing_type();
    let read = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: THING.into(),
            current_state: msgpack(&config().with("id", "i-1"), &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decode(&read.new_state, &ty).get_str("id"), Some("i-1"));
    assert_eq!(read.private, b"p");

    let import = svc
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: THING.into(),
            id: "i-9".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(import.imported_resources[0].type_name, THING);
    assert_eq!(
        decode(&import.imported_resources[0].state, &ty).get_str("id"),
        Some("i-9")
    );

    let ds = svc
        .read_data_source(Request::new(pb::read_data_source::Request {
            type_name: THING.into(),
            config: msgpack(&config(), &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decode(&ds.state, &ty).get_str("id"), Some("ds-1"));
}

#[tokio::test]
async fn unknown_type_names_are_error_diagnostics() {
    let (svc, _) = service(Fake::default());
    let resp = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "nope".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let diag = only_error(&resp.diagnostics);
    assert_eq!(diag.summary, "Unknown Resource Type");
    assert!(diag.detail.contains("\"nope\""));
    assert!(resp.new_state.is_none());
    let resp = svc
        .validate_data_source_config(Request::new(pb::validate_data_source_config::Request {
            type_name: "nope".into(),
            config: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        only_error(&resp.diagnostics).summary,
        "Unknown Data Source Type"
    );
}

#[tokio::test]
async fn undecodable_values_are_error_diagnostics_with_paths() {
    let (svc, fake) = service(Fake::default());
    // The thing's type, but with a number where the schema says string.
    let Type::Object(mut attrs) = thing_type() else {
        unreachable!()
    };
    attrs.insert("name".into(), Type::Number);
    let wrong = Value::object([("name", Value::from(1i64))])
        .to_msgpack(&Type::Object(attrs))
        .unwrap();
    let resp = svc
        .validate_resource_type_config(Request::new(pb::validate_resource_type_config::Request {
            type_name: THING.into(),
            config: Some(pb::DynamicValue {
                msgpack: wrong,
                json: vec![],
            }),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    let diag = only_error(&resp.diagnostics);
    assert_eq!(diag.summary, "Invalid Value From Terraform");
    assert_eq!(attr_steps(diag), ["name"]);
    assert!(
        fake.seen.lock().unwrap().is_empty(),
        "the provider is not called"
    );
}

#[tokio::test]
async fn values_not_matching_the_schema_become_diagnostics() {
    let (svc, _) = service(Fake {
        bad_output: true,
        ..Default::default()
    });
    let ty = thing_type();
    let resp = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: THING.into(),
            current_state: msgpack(&config(), &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let diag = only_error(&resp.diagnostics);
    assert_eq!(diag.summary, "Provider Produced an Invalid Value");
    assert_eq!(attr_steps(diag), ["size"]);
    assert!(resp.new_state.is_none(), "nothing invalid is sent on");
}

#[tokio::test]
async fn upgrade_decodes_stored_json_with_the_current_schema() {
    let (svc, fake) = service(Fake::default());
    let raw = pb::RawState {
        json: br#"{"id":"i-1","name":"web","size":"3","dropped":true}"#.to_vec(),
        flatmap: Default::default(),
    };
    let resp = svc
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: THING.into(),
            version: 0,
            raw_state: Some(raw),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = decode(&resp.upgraded_state, &thing_type());
    assert_eq!(state.get_i64("size"), Some(3));
    assert!(state.get("disk").unwrap().is_null());
    assert_eq!(fake.seen.lock().unwrap()[0].0, "upgrade v0");
}

#[tokio::test]
async fn upgrade_refuses_flatmap_bad_json_and_future_versions() {
    let (svc, _) = service(Fake::default());
    let call = |raw: pb::RawState, version: i64| {
        svc.upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: THING.into(),
            version,
            raw_state: Some(raw),
        }))
    };
    let flatmap = pb::RawState {
        json: vec![],
        flatmap: [("id".to_string(), "i-1".to_string())].into(),
    };
    let resp = call(flatmap, 0).await.unwrap().into_inner();
    assert_eq!(
        only_error(&resp.diagnostics).summary,
        "Unsupported State Format"
    );

    let bad = pb::RawState {
        json: br#"{"size":"lots"}"#.to_vec(),
        flatmap: Default::default(),
    };
    let resp = call(bad, 1).await.unwrap().into_inner();
    let diag = only_error(&resp.diagnostics);
    assert_eq!(diag.summary, "Invalid Stored State");
    assert_eq!(attr_steps(diag), ["size"]);

    let future = pb::RawState {
        json: b"{}".to_vec(),
        flatmap: Default::default(),
    };
    let resp = call(future, 7).await.unwrap().into_inner();
    assert_eq!(
        only_error(&resp.diagnostics).summary,
        "Resource State From a Newer Provider"
    );
}

#[tokio::test]
async fn newer_rpcs_answer_cleanly() {
    let (svc, _) = service(Fake::default());
    let ids = svc
        .get_resource_identity_schemas(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(ids.identity_schemas.is_empty() && ids.diagnostics.is_empty());
    let funcs = svc
        .get_functions(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(funcs.functions.is_empty() && funcs.diagnostics.is_empty());

    let moved = svc
        .move_resource_state(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(only_error(&moved.diagnostics)
        .detail
        .contains("not supported by this provider"));
    let eph = svc
        .open_ephemeral_resource(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(only_error(&eph.diagnostics)
        .detail
        .contains("not supported"));
    let action = svc
        .plan_action(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(only_error(&action.diagnostics)
        .detail
        .contains("not supported"));
    let call = svc
        .call_function(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(call.error.is_some());

    use futures::StreamExt;
    let events: Vec<_> = svc
        .list_resource(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    assert_eq!(events.len(), 1);
    assert!(only_error(&events[0].as_ref().unwrap().diagnostic)
        .detail
        .contains("not supported"));
    let events: Vec<_> = svc
        .invoke_action(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    assert!(matches!(
        events[0].as_ref().unwrap().r#type,
        Some(pb::invoke_action::event::Type::Completed(ref c)) if c.diagnostics.len() == 1
    ));
}

#[tokio::test]
async fn stop_reaches_the_provider() {
    let (svc, fake) = service(Fake::default());
    let resp = svc
        .stop(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.error, "");
    assert!(fake.stopped.load(std::sync::atomic::Ordering::SeqCst));
}

#[test]
fn severity_is_always_explicit() {
    let diag = to_proto::diagnostic(&Diagnostic {
        severity: Severity::Warning,
        ..Diagnostic::error("a", "b")
    });
    assert_ne!(diag.severity, pb::diagnostic::Severity::Invalid as i32);
}
