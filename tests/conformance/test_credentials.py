"""The emulator's identity endpoints against the official credentials library
(alibabacloud_credentials): its RamRoleArn provider signs AssumeRole and parses
our answer, its OIDC provider exchanges a token anonymously, its URI provider
reads the credentials URI; and the official ECS SDK signs with those STS
credentials until they expire, then gets InvalidSecurityToken.Expired.

The library talks to STS over HTTPS only: those cases use an emulator started
with --tls and its generated CA (REQUESTS_CA_BUNDLE)."""

import os
import subprocess
import time

import pytest
from alibabacloud_credentials.provider.oidc import OIDCRoleArnCredentialsProvider
from alibabacloud_credentials.provider.ram_role_arn import RamRoleArnCredentialsProvider
from alibabacloud_credentials.provider.static_ak import StaticAKCredentialsProvider
from alibabacloud_credentials.provider.uri import URLCredentialsProvider

from conftest import AK, REGION, SECRET, binary

ROLE = "acs:ram::1000000000000000:role/terraform"
OIDC_PROVIDER = "acs:ram::1000000000000000:oidc-provider/ci"


@pytest.fixture
def tls_emulator(tmp_path, monkeypatch):
    ca = tmp_path / "ca.pem"
    env = dict(os.environ, ECS_EMULATOR_ACCESS_KEY_ID=AK, ECS_EMULATOR_ACCESS_KEY_SECRET=SECRET)
    proc = subprocess.Popen([binary(), "--tls", "--tls-ca-out", str(ca)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on https://"), line
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    yield line.split()[-1].removeprefix("https://"), ca
    proc.terminate()
    proc.wait(timeout=5)


def admin_tls(hostport, ca, method, path, body=None):
    import json
    import ssl
    import urllib.request

    ctx = ssl.create_default_context(cafile=str(ca))
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"https://{hostport}{path}", data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
        return json.loads(resp.read())


def test_the_official_ram_role_arn_provider_assumes_a_role(tls_emulator):
    hostport, ca = tls_emulator
    p = RamRoleArnCredentialsProvider(
        credentials_provider=StaticAKCredentialsProvider(access_key_id=AK, access_key_secret=SECRET),
        role_arn=ROLE, role_session_name="conformance", sts_endpoint=hostport, duration_seconds=900)
    c = p.get_credentials()
    assert c.get_access_key_id().startswith("STS.")
    assert c.get_security_token()
    sts = [r for r in admin_tls(hostport, ca, "GET", "/_emulator/journal")["requests"]
           if r["action"] == "AssumeRole"]
    assert [(r["code"], r["credential"]) for r in sts] == [("OK", AK)]
    # A role the emulator does not trust: STS's refusal reaches the library.
    bad = RamRoleArnCredentialsProvider(
        credentials_provider=StaticAKCredentialsProvider(access_key_id=AK, access_key_secret=SECRET),
        role_arn="acs:ram::1000000000000000:role/other", sts_endpoint=hostport, duration_seconds=900)
    with pytest.raises(Exception) as info:
        bad.get_credentials()
    assert "NoPermission" in str(info.value)


def test_the_official_oidc_provider_exchanges_a_token_anonymously(tls_emulator, tmp_path):
    hostport, ca = tls_emulator
    token = admin_tls(hostport, ca, "POST", "/_emulator/oidc-token", {"TtlSeconds": 600})["Token"]
    path = tmp_path / "token"
    path.write_text(token)
    p = OIDCRoleArnCredentialsProvider(role_arn=ROLE, oidc_provider_arn=OIDC_PROVIDER,
                                       oidc_token_file_path=str(path), role_session_name="ci",
                                       sts_endpoint=hostport, duration_seconds=900)
    assert p.get_credentials().get_access_key_id().startswith("STS.")
    sts = [r for r in admin_tls(hostport, ca, "GET", "/_emulator/journal")["requests"]
           if r["action"] == "AssumeRoleWithOIDC"]
    assert [r["code"] for r in sts] == ["OK"]
    assert "OIDCToken" not in sts[0]["params"], "the token must not reach the journal"


def test_credentials_uri_answers_what_the_official_provider_reads_and_they_expire(start):
    emu = start("--credential-lifetime", "2s")
    c = URLCredentialsProvider(uri=f"{emu.url}/credentials-uri").get_credentials()
    assert c.get_access_key_id().startswith("STS.")

    from alibabacloud_ecs20140526 import models
    from alibabacloud_ecs20140526.client import Client
    from alibabacloud_tea_openapi import models as open_api_models
    from Tea.exceptions import TeaException

    client = Client(open_api_models.Config(
        access_key_id=c.get_access_key_id(), access_key_secret=c.get_access_key_secret(),
        security_token=c.get_security_token(), endpoint=emu.hostport, protocol="http",
        region_id=REGION))
    client.describe_regions(models.DescribeRegionsRequest())
    time.sleep(2.5)
    with pytest.raises(TeaException) as info:
        client.describe_regions(models.DescribeRegionsRequest())
    assert info.value.code == "InvalidSecurityToken.Expired"
