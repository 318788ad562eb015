"""Conformance harness: start the real ecs-emulator binary and drive it with
the official Alibaba Cloud Python SDKs.

- V1 signatures: aliyun-python-sdk-core + aliyun-python-sdk-ecs (AcsClient).
- V3 signatures: alibabacloud-ecs20140526 (Tea/Darabonba client).

The binary comes from $ECS_EMULATOR_BIN, default target/debug/ecs-emulator
at the repository root. Every emulator gets small --transition/--cooldown
values so the whole suite runs in seconds.
"""

import importlib
import json
import os
import pathlib
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from aliyunsdkcore.client import AcsClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
AK = "conformance-key"
SECRET = "conformance-secret"
REGION = "cn-hangzhou"
X86_IMAGE = "aliyun_3_x64_20G_alibase_20240819.vhd"
ARM_IMAGE = "aliyun_3_arm64_20G_alibase_20240819.vhd"
TRANSITION = 0.1  # seconds, matches --transition 100ms
COOLDOWN = 1.0  # seconds, matches --cooldown 1s


def binary():
    path = os.environ.get("ECS_EMULATOR_BIN", str(ROOT / "target" / "debug" / "ecs-emulator"))
    if not os.path.exists(path):
        raise RuntimeError(f"emulator binary {path} not found: run `cargo build --bin ecs-emulator` "
                           "or set ECS_EMULATOR_BIN")
    return path


class V1:
    """The classic SDK (V1 signatures). Retries are off so every error is seen."""

    def __init__(self, hostport, ak=AK, secret=SECRET):
        self.hostport = hostport
        self.client = AcsClient(ak, secret, REGION, auto_retry=False, timeout=10)

    def request(self, action, **params):
        module = importlib.import_module(f"aliyunsdkecs.request.v20140526.{action}Request")
        req = getattr(module, f"{action}Request")()
        req.set_endpoint(self.hostport)
        req.set_protocol_type("http")
        for key, value in params.items():
            setter = getattr(req, f"set_{key}", None)
            if setter is not None:
                setter(value)
            else:
                req.add_query_param(key, value)
        return req

    def call(self, action, **params):
        return json.loads(self.client.do_action_with_exception(self.request(action, **params)))

    def error(self, action, **params):
        """The ServerException of a call that must fail."""
        with pytest.raises(ServerException) as info:
            self.call(action, **params)
        return info.value

    def expect(self, status, code, action, **params):
        err = self.error(action, **params)
        assert (err.get_http_status(), err.get_error_code()) == (status, code), err.get_error_msg()
        return err

    def instance(self, instance_id):
        body = self.call("DescribeInstances", InstanceIds=json.dumps([instance_id]))
        found = body["Instances"]["Instance"]
        return found[0] if found else None

    def wait_status(self, instance_id, status, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            inst = self.instance(instance_id)
            if inst and inst["Status"] == status:
                return inst
            time.sleep(0.02)
        raise AssertionError(f"{instance_id} never reached {status}")

    def run(self, **params):
        """RunInstances of one instance (x86 ecs.g6.large by default), waited until Running."""
        args = {"ImageId": X86_IMAGE, "InstanceType": "ecs.g6.large", "SecurityGroupId": "sg-conformance"}
        args.update(params)
        body = self.call("RunInstances", **args)
        instance_id = body["InstanceIdSets"]["InstanceIdSet"][0]
        self.wait_status(instance_id, "Running")
        return instance_id

    def stopped(self, **params):
        instance_id = self.run(**params)
        self.call("StopInstance", InstanceId=instance_id)
        self.wait_status(instance_id, "Stopped")
        return instance_id


class Emulator:
    def __init__(self, proc, url):
        self.proc = proc
        self.url = url
        self.hostport = url.removeprefix("http://")
        self.v1 = V1(self.hostport)

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def journal(self):
        return self.admin("GET", "/_emulator/journal")[1]

    def v3(self, secret=SECRET):
        from alibabacloud_ecs20140526.client import Client
        from alibabacloud_tea_openapi import models as open_api_models

        config = open_api_models.Config(access_key_id=AK, access_key_secret=secret,
                                        endpoint=self.hostport, protocol="http", region_id=REGION)
        return Client(config)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_emulator(*flags):
    # A legacy account: classic-network instances stay creatable for the tests of them.
    args = [binary(), "--classic-network", *flags]
    if "--transition" not in flags:
        args += ["--transition", f"{int(TRANSITION * 1000)}ms"]
    if "--cooldown" not in flags:
        args += ["--cooldown", f"{int(COOLDOWN * 1000)}ms"]
    env = dict(os.environ, ECS_EMULATOR_ACCESS_KEY_ID=AK, ECS_EMULATOR_ACCESS_KEY_SECRET=SECRET)
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on http://"):
        proc.kill()
        raise RuntimeError(f"unexpected first line from the emulator: {line!r}")
    return Emulator(proc, line.split()[-1])


@pytest.fixture
def start():
    """Factory: start(*flags) → Emulator; all are stopped after the test."""
    running = []

    def factory(*flags):
        emu = start_emulator(*flags)
        running.append(emu)
        return emu

    yield factory
    for emu in running:
        emu.stop()


@pytest.fixture
def emu(start):
    return start()


__all__ = ["ClientException", "ServerException"]
