//! Gateway behaviour: signatures V1 and V3, keys, nonces, clocks, missing
//! parameters, unknown actions, form bodies, XML, regions.

use chrono::{Duration, Utc};
use terraform_provider_ecs::ecs::sign;

use super::support::*;

#[tokio::test]
async fn unknown_key_and_wrong_secret() {
    let env = start_default().await;
    let mut api = env.api.clone();
    api.ak = "someone-else".into();
    api.call("DescribeInstances", &[])
        .await
        .expect_err(404, "InvalidAccessKeyId.NotFound");
    let mut api = env.api.clone();
    api.secret = "wrong".into();
    let params = merge(common("DescribeInstances", AK), &[]);
    let sts = sign::v1_string_to_sign("GET", params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = api.send_raw(&api.sign_get(params)).await.unwrap();
    r.expect_err(400, "SignatureDoesNotMatch");
    // SDKs split the message on ':' and compare the rest with their own string to sign.
    assert_eq!(r.message().split(':').nth(1), Some(sts.as_str()));
}

#[tokio::test]
async fn nonce_reuse_and_clock_skew() {
    let env = start_default().await;
    let api = &env.api;
    let signed = api.sign_get(common("DescribeInstances", AK));
    api.send_raw(&signed).await.unwrap().ok();
    api.send_raw(&signed)
        .await
        .unwrap()
        .expect_err(400, "SignatureNonceUsed");
    for skew in [Duration::minutes(16), Duration::minutes(-16)] {
        let ts = (Utc::now() + skew).format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let p = merge(common("DescribeInstances", AK), &[("Timestamp", &ts)]);
        api.send_raw(&api.sign_get(p))
            .await
            .unwrap()
            .expect_err(400, "InvalidTimeStamp.Expired");
    }
    let ts = (Utc::now() - Duration::minutes(14))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let p = merge(common("DescribeInstances", AK), &[("Timestamp", &ts)]);
    api.send_raw(&api.sign_get(p)).await.unwrap().ok();
    let p = merge(
        common("DescribeInstances", AK),
        &[("Timestamp", "yesterday")],
    );
    api.send_raw(&api.sign_get(p))
        .await
        .unwrap()
        .expect_err(400, "InvalidTimeStamp.Format");
}

#[tokio::test]
async fn missing_pieces() {
    let env = start_default().await;
    let api = &env.api;
    let unsigned = common("DescribeInstances", AK);
    api.send_raw(&unsigned)
        .await
        .unwrap()
        .expect_err(400, "IncompleteSignature");
    let mut p = common("DescribeInstances", AK);
    p.retain(|(k, _)| k != "Timestamp");
    let r = api.send_raw(&api.sign_get(p)).await.unwrap();
    r.expect_err(400, "MissingParameter");
    assert!(r.message().contains("\"Timestamp\""), "{}", r.message());
    let mut p = common("DescribeInstances", AK);
    p.retain(|(k, _)| k != "RegionId");
    api.send_raw(&api.sign_get(p))
        .await
        .unwrap()
        .expect_err(400, "MissingParameter");
    api.call("StopInstance", &[])
        .await
        .expect_err(400, "MissingParameter");
}

#[tokio::test]
async fn only_get_and_post() {
    let env = start_default().await;
    let api = &env.api;
    let signed = api.sign_get(common("DescribeInstances", AK));
    let resp = api
        .http
        .put(format!("{}/?{}", api.url, encode_query(&signed)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["Code"], "UnsupportedHTTPMethod");
}

#[tokio::test]
async fn unknown_action_version_and_region() {
    let env = start_default().await;
    let api = &env.api;
    api.call("DescribeRegionz", &[])
        .await
        .expect_err(404, "InvalidApi.NotFound");
    api.call("DescribeInstances", &[("Version", "2016-03-14")])
        .await
        .expect_err(400, "InvalidVersion");
    api.call("DescribeInstances", &[("RegionId", "cn-beijing")])
        .await
        .expect_err(404, "InvalidRegionId.NotFound");
    // What a client with a wrong region can ask to learn the right one.
    let regions = api.call("DescribeRegions", &[]).await;
    assert_eq!(
        regions.ok()["Regions"]["Region"][0]["RegionId"],
        "cn-hangzhou"
    );
}

#[tokio::test]
async fn post_form_body_parameters_are_signed_and_used() {
    let env = start_default().await;
    let api = &env.api;
    let query = common("RunInstances", AK);
    let form = vec![
        ("ImageId".to_string(), X86_IMAGE.to_string()),
        ("InstanceType".to_string(), "ecs.r6.large".to_string()),
        ("SecurityGroupId".to_string(), TEST_GROUP.to_string()),
        (
            "InstanceName".to_string(),
            "with space+plus*star".to_string(),
        ),
    ];
    let sts = sign::v1_string_to_sign(
        "POST",
        query
            .iter()
            .chain(&form)
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let mut query = query;
    query.push(("Signature".into(), sign::v1_signature(SECRET, &sts)));
    let resp = api
        .http
        .post(format!("{}/?{}", api.url, encode_query(&query)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode_query(&form))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    let id = body["InstanceIdSets"]["InstanceIdSet"][0].as_str().unwrap();
    let inst = api.instance(id).await.unwrap();
    assert_eq!(inst["InstanceType"], "ecs.r6.large");
    assert_eq!(inst["InstanceName"], "with space+plus*star");
}

#[tokio::test]
async fn xml_answers_when_asked() {
    let env = start_default().await;
    let api = &env.api;
    let id = api.run_one(&[]).await;
    let ids = format!("[\"{id}\"]");
    let r = api
        .call(
            "DescribeInstances",
            &[("Format", "XML"), ("InstanceIds", &ids)],
        )
        .await;
    let text = r.body.as_str().expect("XML is not JSON");
    assert!(text.starts_with("<?xml"), "{text}");
    assert!(text.contains("<DescribeInstancesResponse><RequestId>"));
    assert!(text.contains(&format!(
        "<Instances><Instance><InstanceId>{id}</InstanceId>"
    )));
    let err = api
        .call("StartInstance", &[("Format", "XML"), ("InstanceId", "i-x")])
        .await;
    assert_eq!(err.status, 404);
    let text = err.body.as_str().unwrap();
    assert!(
        text.contains("<Error><RequestId>")
            && text.contains("<Code>InvalidInstanceId.NotFound</Code>")
    );
}

#[tokio::test]
async fn v3_signed_requests_are_verified() {
    let env = start_default().await;
    let api = &env.api;
    let host = env.handle.addr().to_string();
    let send = |secret: &'static str, nonce: String| {
        let api = api.clone();
        let host = host.clone();
        async move {
            let query = vec![("RegionId".to_string(), "cn-hangzhou".to_string())];
            let mut headers = vec![
                ("host".to_string(), host),
                (
                    "x-acs-action".to_string(),
                    "DescribeInstanceStatus".to_string(),
                ),
                ("x-acs-version".to_string(), "2014-05-26".to_string()),
                (
                    "x-acs-date".to_string(),
                    Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                ),
                ("x-acs-signature-nonce".to_string(), nonce),
                (
                    "x-acs-content-sha256".to_string(),
                    sign::EMPTY_BODY_SHA256.to_string(),
                ),
            ];
            let input = sign::V3Input {
                method: "POST",
                path: "/",
                query: &query,
                headers: &headers,
                payload_hash: sign::EMPTY_BODY_SHA256,
            };
            let auth = sign::v3_authorization(AK, secret, &input);
            headers.push(("authorization".into(), auth));
            let mut req = api.http.post(format!("{}/?RegionId=cn-hangzhou", api.url));
            for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
                req = req.header(k, v);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = send(SECRET, "v3-nonce-1".into()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["InstanceStatuses"]["InstanceStatus"].is_array());
    let (status, body) = send(SECRET, "v3-nonce-1".into()).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("SignatureNonceUsed"))
    );
    let (status, body) = send("bad", "v3-nonce-2".into()).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("SignatureDoesNotMatch"))
    );
}
