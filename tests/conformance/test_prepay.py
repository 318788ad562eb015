"""Subscription (PrePaid) instances as the official SDKs drive them: a period at
creation, ModifyPrepayInstanceSpec (upgrade pending until a start, downgrade
only while Stopped), the OrderId answers, and the auto-renewal pair."""

import json

from conftest import REGION


def test_run_instances_needs_a_period_for_a_subscription(emu):
    v1 = emu.v1
    v1.expect(400, "MissingParameter", "RunInstances", ImageId="aliyun_3_x64_20G_alibase_20240819.vhd",
              InstanceType="ecs.g6.large", InstanceChargeType="PrePaid")
    v1.expect(400, "InvalidPeriod", "RunInstances", ImageId="aliyun_3_x64_20G_alibase_20240819.vhd",
              InstanceType="ecs.g6.large", InstanceChargeType="PrePaid", Period=10)
    instance_id = v1.run(InstanceChargeType="PrePaid", Period=1, PeriodUnit="Week")
    assert v1.instance(instance_id)["ExpiredTime"] != "2099-12-31T15:59Z"


def test_upgrade_and_downgrade_with_the_v1_sdk(emu):
    v1 = emu.v1
    instance_id = v1.run(InstanceChargeType="PrePaid", Period=1)
    v1.expect(400, "InvalidStatus.NotStopped", "ModifyPrepayInstanceSpec", InstanceId=instance_id,
              InstanceType="ecs.c6.large", OperatorType="downgrade")
    body = v1.call("ModifyPrepayInstanceSpec", InstanceId=instance_id, InstanceType="ecs.g6.xlarge",
                   OperatorType="upgrade", AutoPay=True, ClientToken="prepay-up-1")
    assert body["OrderId"]
    again = v1.call("ModifyPrepayInstanceSpec", InstanceId=instance_id, InstanceType="ecs.g6.xlarge",
                    OperatorType="upgrade", AutoPay=True, ClientToken="prepay-up-1")
    assert again["OrderId"] == body["OrderId"]
    assert v1.instance(instance_id)["InstanceType"] == "ecs.g6.large"
    v1.expect(403, "InvalidOperation.RebootingRequired", "ModifyPrepayInstanceSpec",
              InstanceId=instance_id, InstanceType="ecs.g6.2xlarge")
    v1.call("StopInstance", InstanceId=instance_id)
    v1.wait_status(instance_id, "Stopped")
    v1.call("StartInstance", InstanceId=instance_id)
    assert v1.wait_status(instance_id, "Running")["InstanceType"] == "ecs.g6.xlarge"


def test_prepay_spec_and_auto_renewal_with_the_v3_sdk(emu):
    from alibabacloud_ecs20140526 import models

    instance_id = emu.v1.run(InstanceChargeType="PrePaid", Period=1)
    client = emu.v3()
    r = client.modify_prepay_instance_spec(models.ModifyPrepayInstanceSpecRequest(
        region_id=REGION, instance_id=instance_id, instance_type="ecs.g6.xlarge",
        operator_type="upgrade", auto_pay=False, client_token="v3-prepay-1"))
    assert r.status_code == 200
    assert isinstance(r.body.order_id, str) and r.body.order_id
    # Unpaid: nothing changes, and the order blocks the next change.
    emu.v1.expect(400, "InvalidInstance.UnpaidOrder", "ModifyPrepayInstanceSpec",
                  InstanceId=instance_id, InstanceType="ecs.g6.2xlarge")

    client.modify_instance_auto_renew_attribute(models.ModifyInstanceAutoRenewAttributeRequest(
        region_id=REGION, instance_id=instance_id, renewal_status="AutoRenewal", duration=6,
        period_unit="Month"))
    r = client.describe_instance_auto_renew_attribute(models.DescribeInstanceAutoRenewAttributeRequest(
        region_id=REGION, instance_id=instance_id))
    attr = r.body.instance_renew_attributes.instance_renew_attribute[0]
    assert (attr.instance_id, attr.auto_renew_enabled, attr.duration, attr.period_unit,
            attr.renewal_status) == (instance_id, True, 6, "Month", "AutoRenewal")
    assert r.body.total_count == 1

    payg = emu.v1.run()
    emu.v1.expect(403, "ChargeTypeViolation", "DescribeInstanceAutoRenewAttribute", InstanceId=payg)
    emu.v1.expect(400, "InvalidInstanceChargeType.ValueNotSupported", "ModifyPrepayInstanceSpec",
                  InstanceId=payg, InstanceType="ecs.g6.xlarge")
    assert json.loads(json.dumps(emu.v1.instance(payg)))["ExpiredTime"] == "2099-12-31T15:59Z"
