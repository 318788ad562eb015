"""In-place changes as the official SDKs send them: one ModifyInstanceAttribute
for every attribute (the classic SDK's repeat-list setter for SecurityGroupIds),
key pairs with per-instance results, a vSwitch change once per stop window, a new
system disk, online disk growth, and settings that wait for an API restart."""

import base64
import hashlib
import json

VSW = "vsw-emu-h1"


def guest(emu, instance_id):
    return emu.admin("GET", f"/_emulator/instances/{instance_id}/guest")[1]


def pw_hash(instance_id, password):
    return hashlib.sha256(f"{instance_id}:{password}".encode()).hexdigest()


def system_disk(v1, instance_id):
    body = v1.call("DescribeDisks", InstanceId=instance_id, DiskType="system")
    return body["Disks"]["Disk"][0]


def test_attributes_key_pair_and_reboot_with_the_classic_sdk(emu):
    v1 = emu.v1
    iid = v1.run(VSwitchId=VSW, HostName="web-1", Password="Fir5t-Secret")
    script = b"#!/bin/sh\necho hi\n"
    v1.call("ModifyInstanceAttribute", InstanceId=iid, HostName="web-2",
            Password="Sec0nd-Secret", UserData=base64.b64encode(script).decode(),
            SecurityGroupIdss=["sg-emu-web", "sg-emu-db"], InstanceName="web")
    inst = v1.instance(iid)
    assert inst["HostName"] == "web-2"
    assert inst["SecurityGroupIds"]["SecurityGroupId"] == ["sg-emu-web", "sg-emu-db"]
    user_data = v1.call("DescribeUserData", InstanceId=iid)["UserData"]
    assert base64.b64decode(user_data) == script
    v1.expect(404, "InvalidSecurityGroupId.NotFound", "ModifyInstanceAttribute",
              InstanceId=iid, SecurityGroupIdss=["sg-emu-other"])

    windows = v1.run(VSwitchId=VSW, ImageId="win2022_datacenter_x64_40G_alibase_20240101.vhd")
    body = v1.call("AttachKeyPair", InstanceIds=json.dumps([iid, windows]), KeyPairName="emu-key-a")
    assert body["FailCount"] == "1"
    failed = [r for r in body["Results"]["Result"] if r["Success"] == "false"]
    assert [(r["InstanceId"], r["Code"]) for r in failed] == [
        (windows, "DependencyViolation.WindowsInstance")]

    before = guest(emu, iid)
    assert before["Effective"]["HostName"] == "web-1"
    assert before["PendingRestart"] is True
    v1.call("RebootInstance", InstanceId=iid)
    v1.wait_status(iid, "Running")
    after = guest(emu, iid)["Effective"]
    assert after == {"HostName": "web-2", "PasswordHash": pw_hash(iid, "Sec0nd-Secret"),
                     "KeyPairName": "emu-key-a"}


def test_vpc_attribute_system_disk_and_resize_with_the_v3_sdk(emu):
    from alibabacloud_ecs20140526 import models
    from Tea.exceptions import TeaException

    v1 = emu.v1
    v3 = emu.v3()
    iid = v1.stopped(VSwitchId=VSW)
    v3.modify_instance_vpc_attribute(models.ModifyInstanceVpcAttributeRequest(
        instance_id=iid, v_switch_id="vsw-emu-h2", private_ip_address="172.16.2.30"))
    inst = v1.instance(iid)
    assert inst["VpcAttributes"]["VSwitchId"] == "vsw-emu-h2"
    assert inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] == ["172.16.2.30"]
    try:
        v3.modify_instance_vpc_attribute(models.ModifyInstanceVpcAttributeRequest(
            instance_id=iid, v_switch_id="vsw-emu-h1"))
        raise AssertionError("a second change in one stop window was accepted")
    except TeaException as e:
        assert e.code == "InvalidPrivateIp.Changing"

    old = system_disk(v1, iid)
    r = v3.replace_system_disk(models.ReplaceSystemDiskRequest(
        instance_id=iid, image_id="ubuntu_22_04_x64_60G_alibase_20240101.vhd",
        system_disk=models.ReplaceSystemDiskRequestSystemDisk(size=60),
        key_pair_name="emu-key-b", client_token="conformance-replace-1"))
    assert r.body.disk_id and r.body.disk_id != old["DiskId"]
    new = system_disk(v1, iid)
    assert (new["DiskId"], new["Size"]) == (r.body.disk_id, 60)
    assert v1.instance(iid)["InstanceId"] == iid

    v1.call("StartInstance", InstanceId=iid)
    v1.wait_status(iid, "Running")
    assert guest(emu, iid)["Effective"]["KeyPairName"] == "emu-key-b"
    v3.resize_disk(models.ResizeDiskRequest(disk_id=new["DiskId"], new_size=80, type="online",
                                            client_token="conformance-grow-1"))
    assert system_disk(v1, iid)["Size"] == 80
    assert v1.instance(iid)["Status"] == "Running"
    try:
        v3.resize_disk(models.ResizeDiskRequest(disk_id=new["DiskId"], new_size=70,
                                                type="online"))
        raise AssertionError("a smaller size was accepted")
    except TeaException as e:
        assert e.code == "InvalidDiskSize.TooSmall"
