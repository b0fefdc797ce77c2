"""boto3 (pinned) against a real `schemabus serve --aws-listen`: every EventBridge operation
group served, with paging and error cases. Run by tests/api/aws.rs.

argv: aws_endpoint native_base admin_key admin_id admin_secret publisher_id publisher_secret
Prints ALL OK at the end; any failed assertion exits non-zero.
"""
import json
import sys
import urllib.request

import boto3
import botocore
from botocore.config import Config

endpoint, native, admin_key, admin_id, admin_secret, pub_id, pub_secret = sys.argv[1:8]
ACCOUNT, REGION = "123456789012", "us-east-1"
cfg = Config(retries={"max_attempts": 1})


def client(key_id, secret, region=REGION):
    return boto3.client("events", endpoint_url=endpoint, region_name=region, aws_access_key_id=key_id,
                        aws_secret_access_key=secret, config=cfg)


def native_call(method, path, body=None):
    req = urllib.request.Request(native + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status


def fails(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        return e.response
    raise AssertionError(f"expected {code}, the call succeeded")


ev = client(admin_id, admin_secret)
bus_arn = lambda b: f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{b}"

# ---- event buses: create, describe (name and ARN), list with prefix and paging, update, delete
for i in range(5):
    out = ev.create_event_bus(Name=f"page-{i}", Description=f"bus {i}")
    assert out["EventBusArn"] == bus_arn(f"page-{i}"), out
fails("ResourceAlreadyExistsException", ev.create_event_bus, Name="page-0")
fails("ValidationException", ev.create_event_bus, Name="bad name!")
d = ev.describe_event_bus(Name=bus_arn("page-1"))
assert d["Name"] == "page-1" and d["Description"] == "bus 1" and d["Arn"] == bus_arn("page-1"), d
assert ev.describe_event_bus()["Name"] == "default"
fails("ResourceNotFoundException", ev.describe_event_bus, Name="nope")
seen, token = [], None
while True:
    kw = {"NamePrefix": "page-", "Limit": 2}
    if token:
        kw["NextToken"] = token
    page = ev.list_event_buses(**kw)
    assert len(page["EventBuses"]) <= 2
    seen += [b["Name"] for b in page["EventBuses"]]
    token = page.get("NextToken")
    if not token:
        break
assert seen == [f"page-{i}" for i in range(5)], seen
fails("ValidationException", ev.list_event_buses, Limit=101)
fails("ValidationException", ev.list_event_buses, NextToken="not-a-token!")
assert ev.update_event_bus(Name="page-2", Description="changed")["Description"] == "changed"
for i in range(5):
    ev.delete_event_bus(Name=f"page-{i}")
ev.delete_event_bus(Name="page-0")  # absent: success, as EventBridge
fails("ValidationException", ev.delete_event_bus, Name="default")
assert not ev.list_event_buses(NamePrefix="page-")["EventBuses"]

# ---- a validated bus (native API: registry, schema, enforce) and a queue
ev.create_event_bus(Name="orders")
native_call("POST", "/v1/registries", {"name": "shop"})
schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["id"],
          "properties": {"id": {"type": "integer"}}}
native_call("POST", "/v1/registries/shop/schemas/orders@OrderPlaced/versions", {"content": schema})
native_call("PATCH", "/v1/buses/orders", {"validation": {"mode": "enforce", "registry": "shop"}})
native_call("PUT", "/v1/queues/orders-q", {})

# ---- rules: put (pattern, state incl. ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS), describe, list + paging
pattern = json.dumps({"source": ["orders"]})
arn = ev.put_rule(Name="big", EventBusName="orders", EventPattern=pattern, Description="all orders",
                  State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")["RuleArn"]
assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/big", arn
r = ev.describe_rule(Name="big", EventBusName=bus_arn("orders"))
assert r["State"] == "ENABLED" and json.loads(r["EventPattern"]) == {"source": ["orders"]} and r["Description"] == "all orders", r
for i in range(3):
    ev.put_rule(Name=f"r-{i}", EventBusName="orders", EventPattern=pattern, State="DISABLED")
names, token = [], None
while True:
    kw = {"EventBusName": "orders", "NamePrefix": "r-", "Limit": 2}
    if token:
        kw["NextToken"] = token
    page = ev.list_rules(**kw)
    names += [x["Name"] for x in page["Rules"]]
    assert all(x["State"] == "DISABLED" and x["EventBusName"] == "orders" for x in page["Rules"])
    token = page.get("NextToken")
    if not token:
        break
assert names == ["r-0", "r-1", "r-2"], names
ev.enable_rule(Name="r-0", EventBusName="orders")
assert ev.describe_rule(Name="r-0", EventBusName="orders")["State"] == "ENABLED"
ev.disable_rule(Name="r-0", EventBusName="orders")
assert ev.describe_rule(Name="r-0", EventBusName="orders")["State"] == "DISABLED"
fails("InvalidEventPatternException", ev.put_rule, Name="bad", EventBusName="orders", EventPattern='{"source": "x"}')
e = fails("ValidationException", ev.put_rule, Name="sched", ScheduleExpression="rate(5 minutes)")
assert "not supported yet" in e["Error"]["Message"], e
fails("ResourceNotFoundException", ev.put_rule, Name="x", EventBusName="nope", EventPattern=pattern)
fails("ResourceNotFoundException", ev.describe_rule, Name="absent", EventBusName="orders")
fails("ResourceNotFoundException", ev.enable_rule, Name="absent", EventBusName="orders")

# ---- targets: SQS queue and bus ARNs, Input/InputPath/InputTransformer, per-target failures, paging
q_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-q"
out = ev.put_targets(Rule="big", EventBusName="orders", Targets=[
    {"Id": "q", "Arn": q_arn, "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": <id>}'},
     "RetryPolicy": {"MaximumRetryAttempts": 3}, "DeadLetterConfig": {"Arn": q_arn}},
    {"Id": "fwd", "Arn": bus_arn("default")},
    {"Id": "missing", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue"},
    {"Id": "lambda", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"},
    {"Id": "other-region", "Arn": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders-q"},
])
failed = {f["TargetId"]: f["ErrorCode"] for f in out["FailedEntries"]}
assert out["FailedEntryCount"] == 3 and failed == {"missing": "ResourceNotFoundException", "lambda": "ValidationException",
                                                    "other-region": "ValidationException"}, out
ev.put_targets(Rule="r-1", EventBusName="orders", Targets=[{"Id": "p", "Arn": q_arn, "InputPath": "$.detail"},
                                                          {"Id": "c", "Arn": q_arn, "Input": '{"constant": true}'}])
got, token = [], None
while True:
    kw = {"Rule": "big", "EventBusName": "orders", "Limit": 1}
    if token:
        kw["NextToken"] = token
    page = ev.list_targets_by_rule(**kw)
    got += page["Targets"]
    token = page.get("NextToken")
    if not token:
        break
assert [t["Id"] for t in got] == ["fwd", "q"], got
assert got[1]["Arn"] == q_arn and got[1]["InputTransformer"]["InputPathsMap"] == {"id": "$.detail.id"}, got
t = {x["Id"]: x for x in ev.list_targets_by_rule(Rule="r-1", EventBusName="orders")["Targets"]}
assert t["p"]["InputPath"] == "$.detail" and json.loads(t["c"]["Input"]) == {"constant": True}, t
assert ev.list_rule_names_by_target(TargetArn=q_arn, EventBusName="orders")["RuleNames"] == ["big", "r-1"]
fails("ResourceNotFoundException", ev.put_targets, Rule="absent", EventBusName="orders", Targets=[{"Id": "q", "Arn": q_arn}])
fails("ValidationException", ev.delete_rule, Name="r-1", EventBusName="orders")  # it has targets
out = ev.remove_targets(Rule="r-1", EventBusName="orders", Ids=["p", "c", "ghost"])
assert out["FailedEntryCount"] == 1 and out["FailedEntries"][0]["TargetId"] == "ghost", out
ev.delete_rule(Name="r-1", EventBusName="orders")
fails("ResourceNotFoundException", ev.describe_rule, Name="r-1", EventBusName="orders")

# ---- PutEvents: results in order, the validation gate, bus by name or ARN, Time
res = ev.put_events(Entries=[
    {"Source": "orders", "DetailType": "Order Placed", "Detail": json.dumps({"id": 7}), "EventBusName": "orders"},
    {"Source": "orders", "DetailType": "Order Placed", "Detail": json.dumps({"id": "seven"}), "EventBusName": bus_arn("orders")},
    {"Source": "orders", "DetailType": "Order Placed", "Detail": json.dumps({"id": 8}), "EventBusName": "orders",
     "Time": "2026-01-02T03:04:05Z"},
    {"Source": "x", "DetailType": "Y", "Detail": "{}", "EventBusName": "no-such-bus"},
    {"DetailType": "Y", "Detail": "{}"},
])
e = res["Entries"]
assert res["FailedEntryCount"] == 3 and len(e) == 5, res
assert "EventId" in e[0] and "EventId" in e[2], res
assert e[1]["ErrorCode"] == "SchemaValidationFailed" and "/id" in e[1]["ErrorMessage"], res
assert e[3]["ErrorCode"] == "ResourceNotFoundException", res
assert e[4]["ErrorCode"] == "InvalidArgument", res
req = urllib.request.Request(native + "/v1/queues/orders-q/receive", method="POST", data=b'{"maxMessages": 10}',
                             headers={"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"})
msgs = json.load(urllib.request.urlopen(req))["messages"]
assert sorted(m["body"]["order"] for m in msgs) == [7, 8], msgs
fails("ValidationException", ev.put_events, Entries=[{"Source": "a", "DetailType": "b", "Detail": "{}"}] * 11)

# ---- TestEventPattern
event = json.dumps({"id": "1", "account": ACCOUNT, "source": "orders", "time": "2026-01-01T00:00:00Z", "region": REGION,
                    "detail-type": "Order Placed", "detail": {"id": 1}})
assert ev.test_event_pattern(EventPattern=pattern, Event=event)["Result"] is True
assert ev.test_event_pattern(EventPattern='{"source": ["other"]}', Event=event)["Result"] is False
fails("InvalidEventPatternException", ev.test_event_pattern, EventPattern='{"source": "x"}', Event=event)
fails("ValidationException", ev.test_event_pattern, EventPattern=pattern, Event="{}")

# ---- credentials and grants: wrong secret, unknown key id, wrong region, missing grant, source grant
fails("InvalidSignatureException", client(admin_id, "x" * 40).list_event_buses)
fails("UnrecognizedClientException", client("AKIANOTAKEY000000000", admin_secret).list_event_buses)
fails("InvalidSignatureException", client(admin_id, admin_secret, region="eu-west-1").list_event_buses)
pub = client(pub_id, pub_secret)
ok = pub.put_events(Entries=[{"Source": "orders", "DetailType": "Order Placed", "Detail": '{"id": 9}', "EventBusName": "orders"},
                             {"Source": "someone-else", "DetailType": "Order Placed", "Detail": '{"id": 9}', "EventBusName": "orders"}])
assert "EventId" in ok["Entries"][0] and ok["Entries"][1]["ErrorCode"] == "NotAuthorizedForSourceException", ok
fails("AccessDeniedException", pub.put_events, Entries=[{"Source": "orders", "DetailType": "X", "Detail": "{}"}])  # default bus
fails("AccessDeniedException", pub.create_event_bus, Name="mine")
fails("AccessDeniedException", pub.put_rule, Name="x", EventBusName="orders", EventPattern=pattern)

# ---- protocol: unknown operation, not-yet-served services
fails("UnknownOperationException", ev.list_archives)
print("ALL OK")
