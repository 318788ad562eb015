"""The provider's whole story with the official SDKs: create → describe →
stop → modify type → start → modify bandwidth → delete."""

import json
import time
from datetime import datetime

from conftest import COOLDOWN, REGION, X86_IMAGE


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_full_flow_with_v1_signatures(emu):
    v1 = emu.v1
    created = v1.call("RunInstances", ImageId=X86_IMAGE, InstanceType="ecs.g6.large",
                      InternetMaxBandwidthOut=5, InstanceName="conformance-1", SecurityGroupId="sg-conformance",
                      ClientToken="flow-run-1")
    instance_id = created["InstanceIdSets"]["InstanceIdSet"][0]

    inst = v1.wait_status(instance_id, "Running")
    assert inst["InstanceType"] == "ecs.g6.large"
    assert (inst["Cpu"], inst["Memory"]) == (2, 8192)
    assert inst["InstanceNetworkType"] == "classic"
    assert len(inst["PublicIpAddress"]["IpAddress"]) == 1
    assert inst["RegionId"] == REGION
    status = v1.call("DescribeInstanceStatus", InstanceIds=[instance_id])
    assert status["InstanceStatuses"]["InstanceStatus"] == [{"InstanceId": instance_id, "Status": "Running"}]

    v1.call("StopInstance", InstanceId=instance_id)
    v1.wait_status(instance_id, "Stopped")

    v1.call("ModifyInstanceSpec", InstanceId=instance_id, InstanceType="ecs.g6.xlarge",
            ClientToken="flow-type-1")
    inst = v1.instance(instance_id)
    assert (inst["InstanceType"], inst["Cpu"], inst["Memory"]) == ("ecs.g6.xlarge", 4, 16384)

    v1.call("StartInstance", InstanceId=instance_id)
    v1.wait_status(instance_id, "Running")

    # The 5-minute rule (here --cooldown 1s) refuses the next modification...
    v1.expect(400, "InvalidStatus.ValueNotSupported", "ModifyInstanceSpec",
              InstanceId=instance_id, InternetMaxBandwidthOut=20)
    time.sleep(COOLDOWN + 0.1)
    # ...and accepts it once the cooldown is over.
    v1.call("ModifyInstanceSpec", InstanceId=instance_id, InternetMaxBandwidthOut=20)
    assert v1.instance(instance_id)["InternetMaxBandwidthOut"] == 20

    v1.call("DeleteInstance", InstanceId=instance_id, Force=True)
    assert v1.instance(instance_id) is None

    # The journal gives the downtime of the type change: leaving Running → back in Running.
    changes = [c for c in emu.journal()["status_changes"] if c["instance_id"] == instance_id]
    left = next(c for c in changes if c["from"] == "Running")
    back = next(c for c in changes if c["from"] == "Starting" and c["to"] == "Running")
    assert parse_time(back["time"]) > parse_time(left["time"])
    assert [c["to"] for c in changes] == ["Pending", "Running", "Stopping", "Stopped",
                                          "Starting", "Running", "Deleted"]


def test_flow_with_v3_signatures(emu):
    from alibabacloud_ecs20140526 import models

    client = emu.v3()
    run = client.run_instances(models.RunInstancesRequest(
        region_id=REGION, image_id=X86_IMAGE, instance_type="ecs.c6.large",
        v_switch_id="vsw-conformance", zone_id="cn-hangzhou-i", internet_max_bandwidth_out=1,
        security_group_id="sg-conformance",
        client_token="v3-run-1"))
    assert run.status_code == 200
    instance_id = run.body.instance_id_sets.instance_id_set[0]
    emu.v1.wait_status(instance_id, "Running")

    described = client.describe_instances(models.DescribeInstancesRequest(
        region_id=REGION, instance_ids=json.dumps([instance_id])))
    inst = described.body.instances.instance[0]
    assert (inst.instance_network_type, inst.zone_id, inst.memory) == ("vpc", "cn-hangzhou-i", 4096)
    assert inst.vpc_attributes.v_switch_id == "vsw-conformance"
    assert len(inst.vpc_attributes.private_ip_address.ip_address) == 1

    client.stop_instance(models.StopInstanceRequest(instance_id=instance_id))
    emu.v1.wait_status(instance_id, "Stopped")
    client.modify_instance_spec(models.ModifyInstanceSpecRequest(
        instance_id=instance_id, instance_type="ecs.c6.xlarge"))
    client.start_instance(models.StartInstanceRequest(instance_id=instance_id))
    emu.v1.wait_status(instance_id, "Running")
    time.sleep(COOLDOWN + 0.1)
    net = client.modify_instance_network_spec(models.ModifyInstanceNetworkSpecRequest(
        instance_id=instance_id, internet_max_bandwidth_out=30))
    assert net.body.order_id
    inst = emu.v1.instance(instance_id)
    assert (inst["InstanceType"], inst["InternetMaxBandwidthOut"]) == ("ecs.c6.xlarge", 30)

    types = client.describe_instance_types(models.DescribeInstanceTypesRequest(
        instance_types=["ecs.g8y.large"]))
    assert types.body.instance_types.instance_type[0].cpu_architecture == "ARM"
    options = client.describe_resources_modification(models.DescribeResourcesModificationRequest(
        region_id=REGION, resource_id=instance_id, destination_resource="InstanceType",
        operation_type="Upgrade"))
    zone = options.body.available_zones.available_zone[0]
    values = {r.value for r in zone.available_resources.available_resource[0]
              .supported_resources.supported_resource}
    assert "ecs.c6.2xlarge" in values and "ecs.c6.large" not in values

    client.delete_instance(models.DeleteInstanceRequest(instance_id=instance_id, force=True))
    assert emu.v1.instance(instance_id) is None


def test_v3_errors_carry_code_and_status(emu):
    from alibabacloud_ecs20140526 import models
    from alibabacloud_tea_openapi.exceptions import ClientException as TeaClientException

    instance_id = emu.v1.run()
    client = emu.v3()
    try:
        client.modify_instance_spec(models.ModifyInstanceSpecRequest(
            instance_id=instance_id, instance_type="ecs.g6.xlarge"))
        raise AssertionError("type change of a Running instance must fail")
    except TeaClientException as e:
        assert (e.status_code, e.code) == (400, "InvalidInstanceStatus.NotStopped")
    try:
        emu.v3(secret="wrong").describe_instances(models.DescribeInstancesRequest(region_id=REGION))
        raise AssertionError("a wrong secret must fail")
    except TeaClientException as e:
        assert (e.status_code, e.code) == (400, "SignatureDoesNotMatch")
