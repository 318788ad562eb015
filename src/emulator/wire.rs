//! Response bodies as ECS writes them: JSON by default, XML when the request
//! says `Format=XML`. Success XML has the root `<{Action}Response>`, errors
//! `<Error>`; a list `{"Instance":[a,b]}` becomes repeated `<Instance>`
//! elements, which is how the JSON shape wraps arrays in a singular name.

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use serde_json::{Map, Value};

use super::error::ApiError;

pub const JSON_TYPE: &str = "application/json;charset=utf-8";
/// The exact value the Tea SDKs compare against to parse an XML error.
pub const XML_TYPE: &str = "text/xml;charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `Format=XML` (any case) selects XML; anything else JSON.
    pub fn from_param(value: Option<&str>) -> Self {
        match value {
            Some(v) if v.eq_ignore_ascii_case("xml") => Format::Xml,
            _ => Format::Json,
        }
    }
}

/// A success body: `RequestId` first, then the action's fields.
pub fn success_body(request_id: &str, fields: Map<String, Value>) -> Value {
    let mut body = Map::with_capacity(fields.len() + 1);
    body.insert("RequestId".into(), Value::String(request_id.into()));
    for (k, v) in fields {
        if k != "RequestId" {
            body.insert(k, v);
        }
    }
    Value::Object(body)
}

/// An error body with the fields SDKs read.
pub fn error_body(err: &ApiError, request_id: &str, host_id: &str) -> Value {
    serde_json::json!({
        "RequestId": request_id,
        "HostId": host_id,
        "Code": err.code,
        "Message": err.message,
    })
}

/// Serialises `body` under `root` (used only for XML) with `status`.
pub fn render(status: u16, root: &str, body: &Value, format: Format) -> Response<Body> {
    let (bytes, content_type) = match format {
        Format::Json => (serde_json::to_vec(body).unwrap_or_default(), JSON_TYPE),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            write_xml(&mut out, root, body);
            (out.into_bytes(), XML_TYPE)
        }
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn write_xml(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            for item in items {
                write_xml(out, name, item);
            }
        }
        Value::Object(map) => {
            open(out, name);
            for (k, v) in map {
                write_xml(out, k, v);
            }
            close(out, name);
        }
        Value::Null => {
            open(out, name);
            close(out, name);
        }
        Value::String(s) => {
            open(out, name);
            escape_into(out, s);
            close(out, name);
        }
        other => {
            open(out, name);
            out.push_str(&other.to_string());
            close(out, name);
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_repeats_list_elements_and_escapes() {
        let body = serde_json::json!({
            "RequestId": "R",
            "InstanceIdSets": {"InstanceIdSet": ["i-1", "i-2"]},
            "Name": "a<b&c",
            "Count": 2
        });
        let mut out = String::new();
        write_xml(&mut out, "RunInstancesResponse", &body);
        assert_eq!(
            out,
            "<RunInstancesResponse><RequestId>R</RequestId><InstanceIdSets>\
             <InstanceIdSet>i-1</InstanceIdSet><InstanceIdSet>i-2</InstanceIdSet>\
             </InstanceIdSets><Name>a&lt;b&amp;c</Name><Count>2</Count></RunInstancesResponse>"
        );
    }

    #[test]
    fn format_defaults_to_json() {
        assert_eq!(Format::from_param(None), Format::Json);
        assert_eq!(Format::from_param(Some("JSON")), Format::Json);
        assert_eq!(Format::from_param(Some("xml")), Format::Xml);
    }
}
