"""Signature oracle: signs request parameter sets with the official Alibaba
Cloud Python SDKs, for tests/ecs_client/sdk_oracle.rs to compare with ours.

One process for all sets: a JSON document on stdin, one on stdout.

Input:  {"v1": [{"method", "access_key_id", "secret", "timestamp", "nonce",
                 "query": {...}, "body": {...}}],
         "v3": [{"method", "path", "access_key_id", "secret", "payload_hash",
                 "query": {...}, "headers": [[name, value], ...]}]}
Output: {"v1": [{"string_to_sign", "signature", "signed": {...}}],
         "v3": ["ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=..."]}

V1 goes through aliyunsdkcore's RPC composer (get_signed_url), with its clock
and nonce source pinned to the case's values; "signed" echoes every parameter
the SDK signed, so the Rust side signs exactly the same set. V3 goes through
the Tea OpenAPI utility's get_authorization.
"""

import json
import sys
import types
from urllib.parse import parse_qs, urlparse

from aliyunsdkcore.auth.composer import rpc_signature_composer as rpc
from aliyunsdkcore.utils import parameter_helper as helper
from alibabacloud_tea_openapi.utils import Utils as OpenApiUtils


def sign_v1(case):
    helper.get_iso_8061_date = lambda: case["timestamp"]
    helper.get_uuid = lambda: case["nonce"]
    query = dict(case["query"])
    body = dict(case["body"])
    url, string_to_sign = rpc.get_signed_url(
        query, case["access_key_id"], case["secret"], "JSON", case["method"], body
    )
    signature = parse_qs(urlparse(url).query, keep_blank_values=True)["Signature"][0]
    signed = dict(query)
    signed.pop("Signature", None)
    signed.update(body)
    return {"string_to_sign": string_to_sign, "signature": signature, "signed": signed}


def sign_v3(case):
    headers = {}
    for name, value in case["headers"]:
        headers[name] = value
    request = types.SimpleNamespace(
        method=case["method"],
        pathname=case["path"],
        query=dict(case["query"]),
        headers=headers,
    )
    return OpenApiUtils.get_authorization(
        request,
        "ACS3-HMAC-SHA256",
        case["payload_hash"],
        case["access_key_id"],
        case["secret"],
    )


def main():
    cases = json.load(sys.stdin)
    out = {
        "v1": [sign_v1(c) for c in cases.get("v1", [])],
        "v3": [sign_v3(c) for c in cases.get("v3", [])],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
