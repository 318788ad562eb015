//! A scripted ECS endpoint on 127.0.0.1:0 for the client tests.
//!
//! It speaks just enough HTTP/1.1 (one request per connection, then close)
//! to do what a framework would hide: drop a connection after reading a
//! request, or stall past the client's read timeout. Every request is
//! recorded with its parameters (query and form body merged) and whether
//! its V1 or V3 signature verifies, using the crate's own `sign` functions
//! on the server side.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use terraform_provider_ecs::ecs::sign;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const SECRET: &str = "test-secret-Zq9/+=";

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub action: String,
    pub params: BTreeMap<String, String>,
    pub headers: Vec<(String, String)>,
    pub signature_ok: bool,
    /// SignatureNonce (V1) or x-acs-signature-nonce (V3).
    pub nonce: String,
}

impl Req {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(String::as_str)
    }
}

/// What to answer.
pub enum Reply {
    Body {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// Close the connection without answering.
    Drop,
    /// Wait, then answer.
    After(Duration, Box<Reply>),
    /// Write these bytes as they are, then reset the connection (RST).
    ResetAfter(Vec<u8>),
}

impl Reply {
    pub fn json(status: u16, v: serde_json::Value) -> Reply {
        Reply::Body {
            status,
            content_type: "application/json",
            body: v.to_string(),
        }
    }
    pub fn ok() -> Reply {
        Reply::json(200, serde_json::json!({"RequestId": "OK-REQ"}))
    }
    pub fn raw(status: u16, content_type: &'static str, body: &str) -> Reply {
        Reply::Body {
            status,
            content_type,
            body: body.to_string(),
        }
    }
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            serde_json::json!({
                "RequestId": format!("REQ-{code}"),
                "HostId": "ecs.test",
                "Code": code,
                "Message": message,
                "Recommend": "https://example.invalid/troubleshoot"
            }),
        )
    }
}

type Handler = dyn Fn(&Req) -> Reply + Send + Sync;

pub struct Server {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    pub async fn start(handler: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log2 = log.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (handler, log) = (handler.clone(), log2.clone());
                tokio::spawn(async move { serve(stream, handler, log).await });
            }
        });
        Server { addr, log }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, handler: Arc<Handler>, log: Arc<Mutex<Vec<Req>>>) {
    let Some((head, body)) = read_request(&mut stream).await else {
        return;
    };
    let req = parse(&head, &body);
    let reply = handler(&req);
    log.lock().unwrap().push(req);
    let mut reply = reply;
    loop {
        match reply {
            Reply::After(d, next) => {
                tokio::time::sleep(d).await;
                reply = *next;
            }
            Reply::Drop => return,
            Reply::ResetAfter(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.flush().await;
                let _ = stream.set_zero_linger();
                return;
            }
            Reply::Body {
                status,
                content_type,
                body,
            } => {
                let out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(out.as_bytes()).await;
                let _ = stream.shutdown().await;
                return;
            }
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((head, buf[head_end..head_end + len].to_vec()))
}

fn pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .into_owned()
        .collect()
}

fn parse(head: &str, body: &[u8]) -> Req {
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let query = pairs(query);
    let body_text = String::from_utf8_lossy(body).to_string();
    let form = pairs(&body_text);
    let (signature_ok, action, nonce) = match header("authorization") {
        Some(auth) => {
            let parsed = sign::parse_v3_authorization(&auth);
            let payload = header("x-acs-content-sha256").unwrap_or_default();
            let input = sign::V3Input {
                method: &method,
                path,
                query: &query,
                headers: &headers,
                payload_hash: &payload,
            };
            let expected = sign::v3_authorization("test-ak", SECRET, &input);
            let ok = parsed.is_some() && expected == auth && payload == sign::sha256_hex(body);
            (
                ok,
                header("x-acs-action").unwrap_or_default(),
                header("x-acs-signature-nonce").unwrap_or_default(),
            )
        }
        None => {
            let mut signed: Vec<(String, String)> = query.clone();
            signed.extend(form.iter().cloned());
            let sig = signed
                .iter()
                .position(|(k, _)| k == "Signature")
                .map(|i| signed.remove(i).1);
            let sts = sign::v1_string_to_sign(
                &method,
                signed.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            );
            let ok = sig.as_deref() == Some(sign::v1_signature(SECRET, &sts).as_str());
            let get = |k: &str| {
                signed
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            (ok, get("Action"), get("SignatureNonce"))
        }
    };
    let mut params: BTreeMap<String, String> = query.into_iter().collect();
    params.extend(form);
    Req {
        method,
        action,
        params,
        headers,
        signature_ok,
        nonce,
    }
}
