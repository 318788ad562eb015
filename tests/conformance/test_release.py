"""Releasing instances as the official SDKs ask for it: deletion protection and
subscriptions refuse DeleteInstance; ModifyInstanceChargeType converts a
subscription to pay-as-you-go, after which it can be released."""

import json

from conftest import REGION


def test_protected_and_prepaid_instances_are_refused_until_fixed(emu):
    v1 = emu.v1
    protected = v1.stopped()
    v1.call("ModifyInstanceAttribute", InstanceId=protected, DeletionProtection=True)
    assert v1.instance(protected)["DeletionProtection"] is True
    v1.expect(403, "InvalidOperation.DeletionProtection", "DeleteInstance", InstanceId=protected)
    v1.call("ModifyInstanceAttribute", InstanceId=protected, DeletionProtection=False)
    v1.call("DeleteInstance", InstanceId=protected)
    assert v1.instance(protected) is None

    prepaid = v1.stopped(InstanceChargeType="PrePaid", Period=1)
    v1.expect(403, "ChargeTypeViolation", "DeleteInstance", InstanceId=prepaid,
              TerminateSubscription=True)
    ids = json.dumps([prepaid])
    v1.expect(400, "DryRunOperation", "ModifyInstanceChargeType", InstanceIds=ids,
              InstanceChargeType="PostPaid", DryRun=True)
    body = v1.call("ModifyInstanceChargeType", InstanceIds=ids, InstanceChargeType="PostPaid",
                   AutoPay=True, ClientToken="release-convert-1")
    assert body["OrderId"]
    assert body["FeeOfInstances"]["FeeOfInstance"][0]["InstanceId"] == prepaid
    # The same token again: the same answer, nothing converted twice.
    again = v1.call("ModifyInstanceChargeType", InstanceIds=ids, InstanceChargeType="PostPaid",
                    AutoPay=True, ClientToken="release-convert-1")
    assert again["OrderId"] == body["OrderId"]
    assert v1.instance(prepaid)["InstanceChargeType"] == "PostPaid"
    v1.call("DeleteInstance", InstanceId=prepaid)
    assert v1.instance(prepaid) is None


def test_charge_type_conversion_with_the_v3_sdk(emu):
    from alibabacloud_ecs20140526 import models

    prepaid = emu.v1.run(InstanceChargeType="PrePaid", Period=1)
    client = emu.v3()
    r = client.modify_instance_charge_type(models.ModifyInstanceChargeTypeRequest(
        region_id=REGION, instance_ids=json.dumps([prepaid]), instance_charge_type="PostPaid",
        auto_pay=True, client_token="v3-convert-1"))
    assert r.status_code == 200
    assert r.body.fee_of_instances.fee_of_instance[0].instance_id == prepaid
    assert emu.v1.instance(prepaid)["InstanceChargeType"] == "PostPaid"
    # Back to a subscription (the API's default target), for a month.
    client.modify_instance_charge_type(models.ModifyInstanceChargeTypeRequest(
        region_id=REGION, instance_ids=json.dumps([prepaid]), period=1, period_unit="Month"))
    assert emu.v1.instance(prepaid)["InstanceChargeType"] == "PrePaid"
