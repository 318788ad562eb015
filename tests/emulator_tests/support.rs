//! Test harness: an in-process emulator with fast settings and a small
//! client that signs with the project's own `ecs::sign`, so every test goes
//! through the real HTTP and authentication path.

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use terraform_provider_ecs::ecs::sign;
use terraform_provider_ecs::emulator::{self, Config, ServerHandle};

pub const AK: &str = "test-key";
pub const SECRET: &str = "test-secret";
pub const X86_IMAGE: &str = "aliyun_3_x64_20G_alibase_20240819.vhd";

/// Fast defaults: 20 ms transitions, no cooldown.
pub fn config() -> Config {
    Config {
        access_key_id: AK.into(),
        access_key_secret: SECRET.into(),
        transition: Duration::from_millis(20),
        cooldown: Duration::ZERO,
        // A legacy account: the tests of classic-network behaviour keep their network.
        classic_network: true,
        ..Config::default()
    }
}

/// The security group every creation in these tests names (ECS requires one).
pub const TEST_GROUP: &str = "sg-emulator-test";

/// `params` of a creation with a security group added when it names none (nor a launch
/// template): what the tests send is a valid request unless a test says otherwise through
/// [`Api::call_exact`].
fn with_group<'a>(action: &str, params: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = params.to_vec();
    let names_one = params
        .iter()
        .any(|(k, _)| k.starts_with("SecurityGroupId") || *k == "LaunchTemplateId");
    if matches!(action, "RunInstances" | "CreateInstance") && !names_one {
        all.push(("SecurityGroupId", TEST_GROUP));
    }
    all
}

pub struct Env {
    pub handle: ServerHandle,
    pub api: Api,
}

pub async fn start(config: Config) -> Env {
    let handle = emulator::start(config).await.expect("emulator starts");
    let api = Api::new(&handle.url());
    Env { handle, api }
}

pub async fn start_default() -> Env {
    start(config()).await
}

/// An answer: HTTP status and JSON body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// `OK` for a success, else the error code.
    pub fn code(&self) -> &str {
        if self.status == 200 {
            "OK"
        } else {
            self.body["Code"].as_str().unwrap_or("<no code>")
        }
    }

    pub fn message(&self) -> &str {
        self.body["Message"].as_str().unwrap_or("")
    }

    /// Asserts an error's status and code.
    #[track_caller]
    pub fn expect_err(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "body: {}",
            self.body
        );
        self
    }

    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "body: {}", self.body);
        &self.body
    }
}

#[derive(Clone)]
pub struct Api {
    pub url: String,
    pub ak: String,
    pub secret: String,
    pub http: reqwest::Client,
}

/// Common V1 parameters for `action` with a fresh nonce and current time.
pub fn common(action: &str, ak: &str) -> Vec<(String, String)> {
    let p = [
        ("Action", action.to_string()),
        ("Version", "2014-05-26".to_string()),
        ("Format", "JSON".to_string()),
        ("AccessKeyId", ak.to_string()),
        ("SignatureMethod", "HMAC-SHA1".to_string()),
        ("SignatureVersion", "1.0".to_string()),
        ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
        (
            "Timestamp",
            Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
        ("RegionId", "cn-hangzhou".to_string()),
    ];
    p.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Merges `extra` over `base` (same name replaces).
pub fn merge(mut base: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in extra {
        base.retain(|(bk, _)| bk != k);
        base.push((k.to_string(), v.to_string()));
    }
    base
}

pub fn encode_query(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", sign::percent_encode(k), sign::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Api {
    pub fn new(url: &str) -> Self {
        Api {
            url: url.to_string(),
            ak: AK.into(),
            secret: SECRET.into(),
            http: reqwest::Client::new(),
        }
    }

    /// Signs `params` (V1, GET) and returns the full query list.
    pub fn sign_get(&self, params: Vec<(String, String)>) -> Vec<(String, String)> {
        let sts =
            sign::v1_string_to_sign("GET", params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut params = params;
        params.push(("Signature".into(), sign::v1_signature(&self.secret, &sts)));
        params
    }

    /// Sends already-signed parameters as a GET query.
    pub async fn send_raw(&self, params: &[(String, String)]) -> Result<Reply, reqwest::Error> {
        let resp = self
            .http
            .get(format!("{}/?{}", self.url, encode_query(params)))
            .send()
            .await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Reply { status, body })
    }

    /// A signed V1 GET of `action` with `params`.
    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Reply {
        self.try_call(action, params)
            .await
            .expect("the emulator answers")
    }

    /// [`Api::call`] with exactly `params` (no security group added).
    pub async fn call_exact(&self, action: &str, params: &[(&str, &str)]) -> Reply {
        let all = self.sign_get(merge(common(action, &self.ak), params));
        self.send_raw(&all).await.expect("the emulator answers")
    }

    pub async fn try_call(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<Reply, reqwest::Error> {
        let all = self.sign_get(merge(common(action, &self.ak), &with_group(action, params)));
        self.send_raw(&all).await
    }

    /// Describes one instance (None when it does not exist).
    pub async fn instance(&self, id: &str) -> Option<Value> {
        let ids = format!("[\"{id}\"]");
        let r = self
            .call("DescribeInstances", &[("InstanceIds", &ids)])
            .await;
        r.ok()["Instances"]["Instance"]
            .as_array()
            .unwrap()
            .first()
            .cloned()
    }

    pub async fn status(&self, id: &str) -> String {
        let inst = self.instance(id).await.expect("instance exists");
        inst["Status"].as_str().unwrap().to_string()
    }

    /// Polls until `id` reaches `status` (at most 5 s).
    pub async fn wait_status(&self, id: &str, status: &str) {
        for _ in 0..500 {
            if self.status(id).await == status {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{id} never reached {status}");
    }

    /// RunInstances of one x86 `ecs.g6.large`, waited until Running.
    pub async fn run_one(&self, extra: &[(&str, &str)]) -> String {
        let mut params = vec![("ImageId", X86_IMAGE), ("InstanceType", "ecs.g6.large")];
        params.extend_from_slice(extra);
        let r = self.call("RunInstances", &params).await;
        let id = r.ok()["InstanceIdSets"]["InstanceIdSet"][0]
            .as_str()
            .unwrap()
            .to_string();
        self.wait_status(&id, "Running").await;
        id
    }

    /// A Running instance stopped and waited until Stopped.
    pub async fn stop(&self, id: &str) {
        self.call("StopInstance", &[("InstanceId", id)]).await.ok();
        self.wait_status(id, "Stopped").await;
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn journal(&self) -> Value {
        self.admin_get("/_emulator/journal").await
    }
}
