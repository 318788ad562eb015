"""Gateway and cross-cutting behaviour through the official SDKs:
authentication, unknown actions, XML, ClientToken idempotence, faults."""

import threading
import time

from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from aliyunsdkcore.request import CommonRequest

from conftest import V1, X86_IMAGE

RUN = {"ImageId": X86_IMAGE, "InstanceType": "ecs.g6.large", "SecurityGroupId": "sg-conformance"}


def test_unknown_access_key(emu):
    other = V1(emu.hostport, ak="nobody")
    other.expect(404, "InvalidAccessKeyId.NotFound", "DescribeInstances")


def test_wrong_secret_is_recognised_by_the_sdk(emu):
    # The SDK compares the server's string to sign (end of the message) with
    # its own; equal strings mean a wrong secret, which it reports as such.
    wrong = V1(emu.hostport, secret="not-the-secret")
    err = wrong.error("DescribeInstances")
    assert (err.get_http_status(), err.get_error_code()) == (400, "InvalidAccessKeySecret")


def test_unknown_action(emu):
    req = CommonRequest(domain=emu.hostport, version="2014-05-26", action_name="DescribeRegionz",
                        product="Ecs")
    req.set_protocol_type("http")
    req.set_method("POST")
    try:
        emu.v1.client.do_action_with_exception(req)
        raise AssertionError("unknown action must fail")
    except ServerException as e:
        assert (e.get_http_status(), e.get_error_code()) == (404, "InvalidApi.NotFound")


def test_xml_format(emu):
    instance_id = emu.v1.run()
    req = emu.v1.request("DescribeInstanceStatus", InstanceIds=[instance_id])
    req.set_accept_format("XML")
    status, _, body, err = emu.v1.client._implementation_of_do_action(req)
    assert err is None and status == 200
    text = body.decode()
    assert text.startswith("<?xml") and "<DescribeInstanceStatusResponse>" in text
    assert f"<InstanceStatus><InstanceId>{instance_id}</InstanceId><Status>Running</Status>" in text


def test_client_token_replay_and_mismatch(emu):
    first = emu.v1.call("RunInstances", ClientToken="tok-a", **RUN)
    again = emu.v1.call("RunInstances", ClientToken="tok-a", **RUN)
    assert first["InstanceIdSets"] == again["InstanceIdSets"]
    assert emu.v1.call("DescribeInstances")["TotalCount"] == 1
    emu.v1.expect(400, "IdempotenceParamNotMatch", "RunInstances", ClientToken="tok-a",
                  InstanceName="different", **RUN)
    emu.v1.expect(400, "InvalidClientToken.ValueNotSupported", "RunInstances", ClientToken="t" * 65, **RUN)


def test_client_token_in_flight(start):
    emu = start("--latency", "1500ms")
    results = {}

    def first_call():
        results["first"] = emu.v1.call("RunInstances", ClientToken="slow", **RUN)

    worker = threading.Thread(target=first_call)
    worker.start()
    time.sleep(0.5)
    emu.v1.expect(403, "LastTokenProcessing", "RunInstances", ClientToken="slow", **RUN)
    worker.join()
    assert results["first"]["InstanceIdSets"]["InstanceIdSet"]


def test_fail_rate_changes_nothing(start):
    emu = start("--fail-rate", "1")
    emu.v1.expect(500, "InternalError", "RunInstances", **RUN)
    assert emu.v1.call("DescribeInstances")["TotalCount"] == 0


def test_drop_rate_applies_without_answer(start):
    emu = start("--drop-rate", "1")
    try:
        emu.v1.call("RunInstances", ClientToken="dropped-1", **RUN)
        raise AssertionError("the answer must be lost")
    except ClientException as e:
        assert e.get_error_code() == "SDK.HttpError"
    code, instances = emu.admin("GET", "/_emulator/instances")
    assert code == 200 and len(instances) == 1
    retried = emu.v1.call("RunInstances", ClientToken="dropped-1", **RUN)
    assert retried["InstanceIdSets"]["InstanceIdSet"] == [instances[0]["InstanceId"]]


def test_throttling(start):
    emu = start("--throttle-qps", "0.5")
    emu.v1.call("DescribeInstances")
    emu.v1.expect(400, "Throttling", "DescribeInstances")
    emu.v1.call("DescribeInstanceStatus")


def test_wrong_status_codes(emu):
    instance_id = emu.v1.run()
    emu.v1.expect(403, "IncorrectInstanceStatus", "StartInstance", InstanceId=instance_id)
    emu.v1.expect(403, "IncorrectInstanceStatus", "DeleteInstance", InstanceId=instance_id)


def test_journal_hides_secrets(emu):
    emu.v1.run(Password="Sup3r-Secret-9")
    journal = emu.journal()
    text = str(journal)
    assert "Sup3r-Secret-9" not in text and "'Signature'" not in text
    run = next(r for r in journal["requests"] if r["action"] == "RunInstances")
    assert run["code"] == "OK" and run["http_status"] == 200 and run["instance_id"].startswith("i-")
