//! Logs as go-hclog JSON lines on stderr, the format Terraform reads from
//! its plugins: with `TF_LOG=DEBUG` our lines appear in Terraform's log at
//! their own level, attributed to this provider.
//!
//! One line per event: `@level` (trace, debug, info, warn, error),
//! `@message`, `@module`, `@timestamp` (RFC 3339 with microseconds), then the
//! fields of the enclosing spans and of the event as extra keys. Fields whose
//! name suggests a credential are replaced by `[REDACTED]` as a last line of
//! defence; code must not log secrets in the first place.
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG` (as Terraform
//! does); unset or `OFF` keeps only warnings and errors. Other crates (h2,
//! rustls, ...) are capped at WARN so a TRACE run stays readable.

use serde_json::{Map, Value as Json};
use std::fmt::Debug;
use std::io::Write;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The `@module` of every line: Terraform prefixes provider logs with it.
pub const MODULE: &str = "provider.terraform-provider-ecs";

/// Installs the stderr logger as the global subscriber. Later calls do
/// nothing.
pub fn init() {
    let level = level_from_env(|key| std::env::var(key).ok());
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(HclogLayer::new(std::io::stderr).with_filter(filter(level))),
    );
}

/// The level named by `TF_LOG_PROVIDER`, else `TF_LOG`. Unknown non-empty
/// values mean TRACE, as in Terraform; unset, empty or OFF mean WARN.
pub fn level_from_env(env: impl Fn(&str) -> Option<String>) -> LevelFilter {
    let value = env("TF_LOG_PROVIDER")
        .filter(|v| !v.is_empty())
        .or_else(|| env("TF_LOG"))
        .unwrap_or_default();
    match value.trim().to_ascii_uppercase().as_str() {
        "" | "OFF" | "WARN" => LevelFilter::WARN,
        "ERROR" => LevelFilter::ERROR,
        "INFO" => LevelFilter::INFO,
        "DEBUG" => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// Our crate at `level`; everything else at most WARN.
pub fn filter(level: LevelFilter) -> Targets {
    Targets::new()
        .with_default(level.min(LevelFilter::WARN))
        .with_target(env!("CARGO_CRATE_NAME"), level)
}

/// The tracing layer writing hclog JSON lines to `W`.
pub struct HclogLayer<W> {
    make_writer: W,
}

impl<W> HclogLayer<W> {
    pub fn new(make_writer: W) -> Self {
        HclogLayer { make_writer }
    }
}

/// The fields recorded on a span, kept in its extensions.
struct SpanFields(Map<String, Json>);

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.map));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(map)) = extensions.get_mut::<SpanFields>() {
            let mut fields = Fields {
                map: std::mem::take(map),
                message: None,
            };
            values.record(&mut fields);
            *map = fields.map;
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = Map::new();
        line.insert(
            "@level".into(),
            level_name(*event.metadata().level()).into(),
        );
        line.insert("@module".into(), MODULE.into());
        line.insert("@timestamp".into(), timestamp().into());
        line.insert("@message".into(), Json::String(String::new()));
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(map)) = span.extensions().get::<SpanFields>() {
                    line.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        line.extend(fields.map);
        if let Some(message) = fields.message {
            line.insert("@message".into(), message.into());
        }
        let mut text = Json::Object(line).to_string();
        text.push('\n');
        // One write per line, so concurrent events never interleave.
        let _ = self.make_writer.make_writer().write_all(text.as_bytes());
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// hclog's format: local time, microseconds, `Z` for UTC.
fn timestamp() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// True for field names that may hold a credential.
fn is_secret(name: &str) -> bool {
    const HINTS: [&str; 7] = [
        "secret",
        "password",
        "token",
        "access_key",
        "credential",
        "authorization",
        "signature",
    ];
    let name = name.to_ascii_lowercase();
    HINTS.iter().any(|hint| name.contains(hint))
}

#[derive(Default)]
struct Fields {
    map: Map<String, Json>,
    message: Option<String>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Json) {
        let name = field.name();
        if name == "message" {
            self.message = Some(match value {
                Json::String(s) => s,
                other => other.to_string(),
            });
        } else if is_secret(name) {
            self.map.insert(name.to_string(), "[REDACTED]".into());
        } else {
            self.map.insert(name.to_string(), value);
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.put(field, format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer collecting lines in memory.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    fn capture(level: LevelFilter, f: impl FnOnce()) -> Vec<Json> {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::registry()
            .with(HclogLayer::new(buffer.clone()).with_filter(filter(level)));
        tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect()
    }

    #[test]
    fn writes_hclog_json_with_span_and_event_fields() {
        let lines = capture(LevelFilter::DEBUG, || {
            let span = tracing::debug_span!("rpc", tf_rpc = "ReadResource");
            let _guard = span.enter();
            tracing::debug!(attempt = 2, ok = true, "Reading {}", "i-1");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["@level"], "debug");
        assert_eq!(line["@message"], "Reading i-1");
        assert_eq!(line["@module"], MODULE);
        assert_eq!(line["tf_rpc"], "ReadResource");
        assert_eq!(line["attempt"], 2);
        assert_eq!(line["ok"], true);
        let ts = line["@timestamp"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
        let micros = ts.split('.').nth(1).unwrap();
        assert!(
            micros.len() >= 7 && micros[..6].bytes().all(|b| b.is_ascii_digit()),
            "{ts}"
        );
    }

    #[test]
    fn rpc_spans_name_a_resource_type_only_when_there_is_one() {
        let lines = capture(LevelFilter::DEBUG, || {
            let _configure = super::super::server::rpc_span("Configure", "").entered();
            tracing::debug!("configured");
        });
        assert_eq!(lines[0]["tf_rpc"], "Configure");
        assert!(lines[0].get("tf_resource_type").is_none(), "{}", lines[0]);
        let lines = capture(LevelFilter::DEBUG, || {
            let _read = super::super::server::rpc_span("ReadResource", "ecs_instance").entered();
            tracing::debug!("read");
        });
        assert_eq!(lines[0]["tf_resource_type"], "ecs_instance");
    }

    #[test]
    fn filters_by_level_and_caps_other_crates() {
        let lines = capture(LevelFilter::INFO, || {
            tracing::debug!("hidden");
            tracing::info!("shown");
            tracing::info!(target: "h2::codec", "noise");
            tracing::warn!(target: "h2::codec", "other crates still warn");
        });
        let messages: Vec<_> = lines
            .iter()
            .map(|l| l["@message"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(messages, ["shown", "other crates still warn"]);
        assert_eq!(lines[1]["@level"], "warn");
    }

    #[test]
    fn redacts_fields_named_like_secrets() {
        let lines = capture(LevelFilter::INFO, || {
            tracing::info!(
                secret_key = "s3cr3t",
                access_key_id = "AK",
                security_token = "t",
                region = "cn-hangzhou",
                "configured"
            );
        });
        let text = lines[0].to_string();
        assert!(
            !text.contains("s3cr3t") && !text.contains("\"AK\""),
            "{text}"
        );
        assert_eq!(lines[0]["secret_key"], "[REDACTED]");
        assert_eq!(lines[0]["region"], "cn-hangzhou");
    }

    #[test]
    fn level_comes_from_tf_log_provider_then_tf_log() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(level_from_env(env(&[])), LevelFilter::WARN);
        assert_eq!(level_from_env(env(&[("TF_LOG", "off")])), LevelFilter::WARN);
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "DEBUG")])),
            LevelFilter::DEBUG
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "json")])),
            LevelFilter::TRACE
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "DEBUG"), ("TF_LOG_PROVIDER", "error")])),
            LevelFilter::ERROR
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "info"), ("TF_LOG_PROVIDER", "")])),
            LevelFilter::INFO
        );
    }
}
