"""Each modelled row of ModifyInstanceSpec's error table, with its code and
HTTP status, through the official V1 SDK."""

import json

import pytest

from conftest import ARM_IMAGE

BW = {"InternetMaxBandwidthOut": 8}


def test_type_change_needs_stopped(emu):
    instance_id = emu.v1.run()
    emu.v1.expect(400, "InvalidInstanceStatus.NotStopped", "ModifyInstanceSpec",
                  InstanceId=instance_id, InstanceType="ecs.g6.xlarge")


@pytest.mark.parametrize("status", ["Stopping", "Starting", "Pending"])
def test_bandwidth_needs_running_or_stopped(emu, status):
    instance_id = emu.v1.run()
    code, _ = emu.admin("POST", f"/_emulator/instances/{instance_id}", {"Status": status})
    assert code == 200
    err = emu.v1.expect(400, "InvalidStatus.ValueNotSupported", "ModifyInstanceSpec",
                        InstanceId=instance_id, **BW)
    assert err.get_error_msg() == "The instance cannot be modified in the specified status."


def test_type_and_bandwidth_in_one_call(emu):
    instance_id = emu.v1.stopped()
    emu.v1.expect(400, "InvalidParameter.Mismatch", "ModifyInstanceSpec",
                  InstanceId=instance_id, InstanceType="ecs.g6.xlarge", **BW)


def test_strict_bandwidth(start):
    emu = start("--strict-bandwidth")
    instance_id = emu.v1.run()
    emu.v1.expect(400, "InvalidParameter.Mismatch", "ModifyInstanceSpec", InstanceId=instance_id,
                  InternetMaxBandwidthOut=5, InternetMaxBandwidthIn=5)


@pytest.mark.parametrize("params,code", [
    ({"InternetMaxBandwidthOut": 101}, "InvalidParameter"),
    ({"InternetMaxBandwidthOut": -1}, "InvalidParameter"),
    ({"InternetMaxBandwidthIn": 0}, "InvalidParameter.Bandwidth"),
    ({"InternetMaxBandwidthIn": 201}, "InvalidParameter.Bandwidth"),
])
def test_bandwidth_ranges(emu, params, code):
    instance_id = emu.v1.run()
    emu.v1.expect(400, code, "ModifyInstanceSpec", InstanceId=instance_id, **params)


def test_prepaid_is_refused(emu):
    instance_id = emu.v1.run(InstanceChargeType="PrePaid", Period=1)
    emu.v1.expect(403, "ChargeTypeViolation", "ModifyInstanceSpec", InstanceId=instance_id, **BW)


@pytest.mark.parametrize("instance_type,status,code", [
    ("ecs.t9.nano", 400, "InvalidInstanceType.ValueNotSupported"),
    ("ecs.ebmg6.26xlarge", 400, "InvalidInstanceType.ValueUnauthorized"),
    ("ecs.g8y.xlarge", 400, "InvalidParameter.Conflict"),
    ("ecs.g6.large", 400, "DependencyViolation.InstanceType"),
    ("ecs.g6.8xlarge", 403, "OperationDenied"),
])
def test_instance_type_rules(emu, instance_type, status, code):
    instance_id = emu.v1.stopped()
    emu.v1.expect(status, code, "ModifyInstanceSpec", InstanceId=instance_id, InstanceType=instance_type)


def test_old_image_does_not_support_new_generation(emu):
    instance_id = emu.v1.stopped(ImageId="centos_6_10_x64_20G_alibase_20200319.vhd")
    emu.v1.expect(403, "Imagenotsupportinstancetype", "ModifyInstanceSpec",
                  InstanceId=instance_id, InstanceType="ecs.g7.large")


def test_arm_instances_resize_within_arm(emu):
    instance_id = emu.v1.stopped(ImageId=ARM_IMAGE, InstanceType="ecs.g8y.large")
    emu.v1.call("ModifyInstanceSpec", InstanceId=instance_id, InstanceType="ecs.g8y.xlarge")
    emu.v1.expect(400, "InvalidParameter.Conflict", "ModifyInstanceSpec",
                  InstanceId=instance_id, InstanceType="ecs.g6.xlarge")


@pytest.fixture
def flagged(start, tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([
        {"InstanceId": "i-unpaid", "Status": "Stopped", "Flags": {"UnpaidOrder": True}},
        {"InstanceId": "i-locked", "Status": "Stopped", "Flags": {"SecurityLock": True}},
        {"InstanceId": "i-disk", "Status": "Stopped", "Flags": {"DiskCategoryUnsupported": True}},
        {"InstanceId": "i-owing", "Status": "Running", "Flags": {"Arrearage": True}},
    ]))
    return start("--seed", str(seed))


@pytest.mark.parametrize("instance_id,params,status,code", [
    ("i-unpaid", BW, 400, "InvalidInstance.UnpaidOrder"),
    ("i-locked", BW, 403, "InstanceLockedForSecurity"),
    ("i-disk", {"InstanceType": "ecs.g6.xlarge"}, 403, "CategoryViolation"),
    ("i-owing", BW, 400, "Account.Arrearage"),
])
def test_instance_flags(flagged, instance_id, params, status, code):
    flagged.v1.expect(status, code, "ModifyInstanceSpec", InstanceId=instance_id, **params)


@pytest.mark.parametrize("account,status,code", [
    ({"Arrearage": True}, 400, "Account.Arrearage"),
    ({"NotEnoughBalance": True}, 403, "InvalidAccountStatus.NotEnoughBalance"),
])
def test_account_flags_from_seed(start, tmp_path, account, status, code):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"Account": account, "Instances": [{"InstanceId": "i-acct"}]}))
    emu = start("--seed", str(seed))
    emu.v1.expect(status, code, "ModifyInstanceSpec", InstanceId="i-acct", **BW)


def test_vpc_bandwidth_is_refused_here_and_done_by_network_spec(emu):
    instance_id = emu.v1.run(VSwitchId="vsw-1")
    err = emu.v1.expect(400, "OperationDenied", "ModifyInstanceSpec", InstanceId=instance_id, **BW)
    assert err.get_error_msg() == "The specified instance is in VPC."
    emu.v1.call("ModifyInstanceNetworkSpec", InstanceId=instance_id, **BW)
    assert emu.v1.instance(instance_id)["InternetMaxBandwidthOut"] == 8


def test_five_minute_rule(emu):
    # Classic with bandwidth already: raising it from 0 would need a stop.
    instance_id = emu.v1.run(InternetMaxBandwidthOut=1)
    emu.v1.call("ModifyInstanceSpec", InstanceId=instance_id, InternetMaxBandwidthOut=3)
    err = emu.v1.expect(400, "InvalidStatus.ValueNotSupported", "ModifyInstanceSpec",
                        InstanceId=instance_id, InternetMaxBandwidthOut=4)
    assert err.get_error_msg() == "The current status of the resource does not support this operation."


def test_unknown_instance(emu):
    emu.v1.expect(404, "InvalidInstanceId.NotFound", "ModifyInstanceSpec", InstanceId="i-nothere", **BW)


def test_dry_run(emu):
    instance_id = emu.v1.stopped()
    emu.v1.expect(400, "DryRunOperation", "ModifyInstanceSpec", InstanceId=instance_id,
                  InstanceType="ecs.g6.xlarge", DryRun=True)
    assert emu.v1.instance(instance_id)["InstanceType"] == "ecs.g6.large"


def test_classic_bandwidth_from_zero_needs_stopped(emu):
    instance_id = emu.v1.run()
    emu.v1.expect(400, "InvalidInstanceStatus.NotStopped", "ModifyInstanceSpec",
                  InstanceId=instance_id, **BW)
    emu.v1.expect(403, "OperationDenied", "AllocatePublicIpAddress", InstanceId=instance_id)
    emu.v1.call("StopInstance", InstanceId=instance_id)
    emu.v1.wait_status(instance_id, "Stopped")
    emu.v1.call("ModifyInstanceSpec", InstanceId=instance_id, **BW)
    ip = emu.v1.call("AllocatePublicIpAddress", InstanceId=instance_id)["IpAddress"]
    assert emu.v1.instance(instance_id)["PublicIpAddress"]["IpAddress"] == [ip]
    emu.v1.expect(403, "AllocatedAlready", "AllocatePublicIpAddress", InstanceId=instance_id)
