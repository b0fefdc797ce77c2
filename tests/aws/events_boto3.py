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

# ---- scheduled rules: rate and cron on the default bus; refused elsewhere and when invalid
arn = ev.put_rule(Name="sched", ScheduleExpression="rate(5 minutes)", Description="every five")["RuleArn"]
assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/sched", arn
r = ev.describe_rule(Name="sched")
assert r["ScheduleExpression"] == "rate(5 minutes)" and "EventPattern" not in r and r["State"] == "ENABLED", r
ev.put_rule(Name="sched-cron", ScheduleExpression="cron(0 12 ? * MON-FRI *)", EventPattern=pattern)
listed = {x["Name"]: x for x in ev.list_rules(NamePrefix="sched")["Rules"]}
assert listed["sched-cron"]["ScheduleExpression"] == "cron(0 12 ? * MON-FRI *)", listed
assert json.loads(listed["sched-cron"]["EventPattern"]) == {"source": ["orders"]}, listed
for bad in ["rate(1 minutes)", "rate(5 seconds)", "cron(0 12 * * * *)", "cron(0 12 * * ?)"]:
    e = fails("ValidationException", ev.put_rule, Name="bad-sched", ScheduleExpression=bad)
    assert e["Error"]["Message"] == "Parameter ScheduleExpression is not valid.", e
e = fails("ValidationException", ev.put_rule, Name="s", EventBusName="orders", ScheduleExpression="rate(5 minutes)")
assert "only on the default event bus" in e["Error"]["Message"], e
fails("ValidationException", ev.put_rule, Name="neither")
ev.delete_rule(Name="sched")
ev.delete_rule(Name="sched-cron")
# A schedule fires to its targets (the server runs with a 200 ms scheduler minute).
native_call("PUT", "/v1/queues/sched-q", {})
ev.put_rule(Name="fast", ScheduleExpression="rate(1 minute)")
ev.put_targets(Rule="fast", Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:sched-q"}])
import time as _time
_time.sleep(0.8)
ev.disable_rule(Name="fast")
req = urllib.request.Request(native + "/v1/queues/sched-q/receive", method="POST", data=b'{"maxMessages": 100}',
                             headers={"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"})
ticks = [m["body"] for m in json.load(urllib.request.urlopen(req))["messages"]]
assert ticks and all(t["source"] == "aws.events" and t["detail-type"] == "Scheduled Event" and t["detail"] == {}
                     and t["resources"] == [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/fast"] for t in ticks), ticks
ev.remove_targets(Rule="fast", Ids=["q"])
ev.delete_rule(Name="fast")
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

# ---- archives: create (bus ARN), describe, list with prefix and paging, update, errors
archive_arn = lambda a: f"arn:aws:events:{REGION}:{ACCOUNT}:archive/{a}"
out = ev.create_archive(ArchiveName="orders-all", EventSourceArn=bus_arn("orders"), Description="every order")
assert out["ArchiveArn"] == archive_arn("orders-all") and out["State"] == "ENABLED", out
for i in range(3):
    ev.create_archive(ArchiveName=f"arc-{i}", EventSourceArn=bus_arn("orders"), EventPattern=pattern, RetentionDays=i)
fails("ResourceAlreadyExistsException", ev.create_archive, ArchiveName="arc-0", EventSourceArn=bus_arn("default"))
fails("ResourceNotFoundException", ev.create_archive, ArchiveName="x", EventSourceArn=bus_arn("no-such-bus"))
fails("ValidationException", ev.create_archive, ArchiveName="x", EventSourceArn="orders")
fails("InvalidEventPatternException", ev.create_archive, ArchiveName="x", EventSourceArn=bus_arn("orders"),
      EventPattern='{"source": "x"}')
fails("ValidationException", ev.create_archive, ArchiveName="bad name!", EventSourceArn=bus_arn("orders"))
names, token = [], None
while True:
    kw = {"NamePrefix": "arc-", "Limit": 2}
    if token:
        kw["NextToken"] = token
    page = ev.list_archives(**kw)
    names += [a["ArchiveName"] for a in page["Archives"]]
    assert all(a["State"] == "ENABLED" and a["EventSourceArn"] == bus_arn("orders") for a in page["Archives"]), page
    token = page.get("NextToken")
    if not token:
        break
assert names == ["arc-0", "arc-1", "arc-2"], names
assert [a["ArchiveName"] for a in ev.list_archives(EventSourceArn=bus_arn("orders"), NamePrefix="orders")["Archives"]] == ["orders-all"]
assert not ev.list_archives(State="DISABLED")["Archives"]
out = ev.update_archive(ArchiveName="arc-1", RetentionDays=30, Description="changed")
assert out["ArchiveArn"] == archive_arn("arc-1"), out
d = ev.describe_archive(ArchiveName="arc-1")
assert d["RetentionDays"] == 30 and d["Description"] == "changed" and json.loads(d["EventPattern"]) == {"source": ["orders"]}, d
for i in range(3):
    ev.delete_archive(ArchiveName=f"arc-{i}")
fails("ResourceNotFoundException", ev.describe_archive, ArchiveName="arc-0")
fails("ResourceNotFoundException", ev.delete_archive, ArchiveName="arc-0")
fails("ValidationException", ev.create_archive, ArchiveName="kms", EventSourceArn=bus_arn("orders"), KmsKeyIdentifier="k")

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

# ---- replays: the archive's accepted events back to rule "big" only; describe, list, cancel
import datetime
d = ev.describe_archive(ArchiveName="orders-all")
assert d["EventCount"] == 2 and d["SizeBytes"] > 0 and d["EventSourceArn"] == bus_arn("orders"), d
start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
end = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
rule_big = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/big"
out = ev.start_replay(ReplayName="again", EventSourceArn=archive_arn("orders-all"), EventStartTime=start, EventEndTime=end,
                      Destination={"Arn": bus_arn("orders"), "FilterArns": [rule_big]}, Description="once more")
assert out["ReplayArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:replay/again" and out["State"] in ("STARTING", "RUNNING", "COMPLETED"), out
for _ in range(100):
    r = ev.describe_replay(ReplayName="again")
    if r["State"] == "COMPLETED":
        break
    _time.sleep(0.1)
assert r["State"] == "COMPLETED" and r["EventSourceArn"] == archive_arn("orders-all"), r
assert r["Destination"] == {"Arn": bus_arn("orders"), "FilterArns": [rule_big]} and "ReplayEndTime" in r, r
msgs = json.load(urllib.request.urlopen(urllib.request.Request(native + "/v1/queues/orders-q/receive", method="POST",
    data=b'{"maxMessages": 10}', headers={"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"})))["messages"]
assert sorted(m["body"]["order"] for m in msgs) == [7, 8], msgs
fails("ResourceAlreadyExistsException", ev.start_replay, ReplayName="again", EventSourceArn=archive_arn("orders-all"),
      EventStartTime=start, EventEndTime=end, Destination={"Arn": bus_arn("orders")})
fails("ResourceNotFoundException", ev.start_replay, ReplayName="r2", EventSourceArn=archive_arn("nope"),
      EventStartTime=start, EventEndTime=end, Destination={"Arn": bus_arn("orders")})
fails("ValidationException", ev.start_replay, ReplayName="r2", EventSourceArn=archive_arn("orders-all"),
      EventStartTime=start, EventEndTime=end, Destination={"Arn": bus_arn("default")})
fails("ValidationException", ev.start_replay, ReplayName="r2", EventSourceArn=archive_arn("orders-all"),
      EventStartTime=end, EventEndTime=start, Destination={"Arn": bus_arn("orders")})
fails("IllegalStatusException", ev.cancel_replay, ReplayName="again")
fails("ResourceNotFoundException", ev.describe_replay, ReplayName="never")
listed = ev.list_replays(NamePrefix="ag", State="COMPLETED")["Replays"]
assert [x["ReplayName"] for x in listed] == ["again"] and listed[0]["EventSourceArn"] == archive_arn("orders-all"), listed
assert not ev.list_replays(State="RUNNING")["Replays"]
assert [x["ReplayName"] for x in ev.list_replays(EventSourceArn=archive_arn("orders-all"))["Replays"]] == ["again"]

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
fails("AccessDeniedException", pub.list_archives, EventSourceArn=bus_arn("orders"))
assert not pub.list_archives()["Archives"]  # only the archives of buses the key may manage
fails("AccessDeniedException", pub.describe_archive, ArchiveName="orders-all")

# ---- connections: Basic and API key, secrets never answered, paging, deauthorize; OAuth not yet
out = ev.create_connection(Name="crm", AuthorizationType="BASIC", Description="the CRM",
                           AuthParameters={"BasicAuthParameters": {"Username": "svc", "Password": "hunter2-secret"}})
crm_arn = out["ConnectionArn"]
assert crm_arn.startswith(f"arn:aws:events:{REGION}:{ACCOUNT}:connection/crm/") and out["ConnectionState"] == "AUTHORIZED", out
for i in range(3):
    ev.create_connection(Name=f"conn-{i}", AuthorizationType="API_KEY",
                         AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": f"key-{i}"}})
fails("ResourceAlreadyExistsException", ev.create_connection, Name="crm", AuthorizationType="BASIC",
      AuthParameters={"BasicAuthParameters": {"Username": "a", "Password": "b"}})
fails("ValidationException", ev.create_connection, Name="oauth", AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
      AuthParameters={"OAuthParameters": {"ClientParameters": {"ClientID": "i", "ClientSecret": "s"},
                                          "AuthorizationEndpoint": "https://auth.example.com", "HttpMethod": "POST"}})
fails("ValidationException", ev.create_connection, Name="mixed", AuthorizationType="BASIC",
      AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
d = ev.describe_connection(Name="crm")
assert d["AuthorizationType"] == "BASIC" and d["AuthParameters"] == {"BasicAuthParameters": {"Username": "svc"}}, d
assert d["Description"] == "the CRM" and d["ConnectionArn"] == crm_arn, d
assert "hunter2-secret" not in json.dumps(d, default=str)
fails("ResourceNotFoundException", ev.describe_connection, Name="nope")
names, token = [], None
while True:
    kw = {"NamePrefix": "conn-", "Limit": 2}
    if token:
        kw["NextToken"] = token
    page = ev.list_connections(**kw)
    names += [c["Name"] for c in page["Connections"]]
    token = page.get("NextToken")
    if not token:
        break
assert names == ["conn-0", "conn-1", "conn-2"], names
assert ev.deauthorize_connection(Name="conn-1")["ConnectionState"] == "DEAUTHORIZED"
assert [c["Name"] for c in ev.list_connections(ConnectionState="DEAUTHORIZED")["Connections"]] == ["conn-1"]
out = ev.update_connection(Name="conn-1", AuthorizationType="API_KEY",
                           AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "X-Key", "ApiKeyValue": "new"}})
assert out["ConnectionState"] == "AUTHORIZED", out
assert ev.describe_connection(Name="conn-1")["AuthParameters"]["ApiKeyAuthParameters"]["ApiKeyName"] == "X-Key"
assert ev.delete_connection(Name="conn-2")["ConnectionState"] == "DELETING"
fails("ResourceNotFoundException", ev.delete_connection, Name="conn-2")

# ---- API destinations, and a target made from one (a native webhook with the connection's credentials)
out = ev.create_api_destination(Name="crm-orders", ConnectionArn=crm_arn, InvocationEndpoint="https://crm.example.com/orders",
                                HttpMethod="POST", InvocationRateLimitPerSecond=20, Description="orders to the CRM")
dest_arn = out["ApiDestinationArn"]
assert dest_arn.startswith(f"arn:aws:events:{REGION}:{ACCOUNT}:api-destination/crm-orders/") and out["ApiDestinationState"] == "ACTIVE", out
ev.create_api_destination(Name="other", ConnectionArn=crm_arn, InvocationEndpoint="https://x.example.com/", HttpMethod="PUT")
fails("ResourceAlreadyExistsException", ev.create_api_destination, Name="other", ConnectionArn=crm_arn,
      InvocationEndpoint="https://x.example.com/", HttpMethod="PUT")
fails("ResourceNotFoundException", ev.create_api_destination, Name="x", ConnectionArn=crm_arn.replace("crm/", "nope/"),
      InvocationEndpoint="https://x.example.com/", HttpMethod="POST")
fails("ValidationException", ev.create_api_destination, Name="x", ConnectionArn=crm_arn, InvocationEndpoint="not a url", HttpMethod="POST")
fails("ValidationException", ev.create_api_destination, Name="x", ConnectionArn=crm_arn, InvocationEndpoint="https://x.example.com/", HttpMethod="GET")
d = ev.describe_api_destination(Name="crm-orders")
assert d["ConnectionArn"] == crm_arn and d["InvocationEndpoint"] == "https://crm.example.com/orders" and d["HttpMethod"] == "POST", d
assert d["InvocationRateLimitPerSecond"] == 20 and d["Description"] == "orders to the CRM", d
assert [x["Name"] for x in ev.list_api_destinations(ConnectionArn=crm_arn, Limit=1)["ApiDestinations"]] == ["crm-orders"]
ev.update_api_destination(Name="other", HttpMethod="PATCH")
assert ev.describe_api_destination(Name="other")["HttpMethod"] == "PATCH"
out = ev.put_targets(Rule="big", EventBusName="orders", Targets=[
    {"Id": "crm", "Arn": dest_arn, "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600},
     "DeadLetterConfig": {"Arn": q_arn}},
    {"Id": "gone", "Arn": dest_arn.replace("crm-orders/", "absent/")}])
assert out["FailedEntryCount"] == 1 and out["FailedEntries"][0]["TargetId"] == "gone", out
shown = {t["Id"]: t for t in ev.list_targets_by_rule(Rule="big", EventBusName="orders")["Targets"]}
assert shown["crm"]["Arn"] == dest_arn, shown
req = urllib.request.Request(native + "/v1/buses/orders/rules/big", headers={"Authorization": f"Bearer {admin_key}"})
hook = [t for t in json.load(urllib.request.urlopen(req))["targets"] if t["id"] == "crm"][0]
assert hook["type"] == "webhook" and hook["url"] == "https://crm.example.com/orders" and hook["rateLimitPerSecond"] == 20, hook
assert hook["auth"] == {"type": "basic", "username": "svc", "password": "<redacted>"} or hook["auth"]["password"] == "<redacted>", hook
assert hook["retryPolicy"] == {"maximumRetryAttempts": 2, "maximumEventAgeSeconds": 600} and hook["deadLetterQueue"] == "orders-q", hook
ev.remove_targets(Rule="big", EventBusName="orders", Ids=["crm"])
ev.deauthorize_connection(Name="crm")
out = ev.put_targets(Rule="big", EventBusName="orders", Targets=[{"Id": "crm", "Arn": dest_arn}])
assert out["FailedEntryCount"] == 1 and "deauthorized" in out["FailedEntries"][0]["ErrorMessage"], out

# A delivery end to end: an API_KEY connection, a destination on a local receiver, a rule.
import http.server
import threading
received = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received.append((self.path, self.headers.get("X-Api-Key"), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
hook_conn = ev.create_connection(Name="hook-conn", AuthorizationType="API_KEY",
                                 AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": "k-123"}})
hook_dest = ev.create_api_destination(Name="hook", ConnectionArn=hook_conn["ConnectionArn"], HttpMethod="PUT",
                                      InvocationEndpoint=f"http://127.0.0.1:{server.server_port}/hook")["ApiDestinationArn"]
ev.put_rule(Name="to-hook", EventBusName="orders", EventPattern=json.dumps({"source": ["hook-test"]}))
out = ev.put_targets(Rule="to-hook", EventBusName="orders", Targets=[
    {"Id": "h", "Arn": hook_dest, "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"got": <id>}'}}])
assert out["FailedEntryCount"] == 0, out
native_call("PATCH", "/v1/buses/orders", {"validation": {"mode": "off"}})
assert ev.put_events(Entries=[{"Source": "hook-test", "DetailType": "T", "Detail": '{"id": 42}', "EventBusName": "orders"}])["FailedEntryCount"] == 0
for _ in range(100):
    if received:
        break
    _time.sleep(0.1)
assert received == [("/hook", "k-123", {"got": 42})], received
server.shutdown()
native_call("PATCH", "/v1/buses/orders", {"validation": {"mode": "enforce", "registry": "shop"}})
ev.remove_targets(Rule="to-hook", EventBusName="orders", Ids=["h"])
ev.delete_rule(Name="to-hook", EventBusName="orders")
ev.delete_api_destination(Name="other")
fails("ResourceNotFoundException", ev.describe_api_destination, Name="other")
fails("AccessDeniedException", pub.create_connection, Name="p", AuthorizationType="BASIC",
      AuthParameters={"BasicAuthParameters": {"Username": "a", "Password": "b"}})

# ---- tags: on creation (bus, rule), Tag/Untag/List for each resource kind, errors
ev.create_event_bus(Name="tagged", Tags=[{"Key": "team", "Value": "shop"}])
assert ev.list_tags_for_resource(ResourceARN=bus_arn("tagged"))["Tags"] == [{"Key": "team", "Value": "shop"}]
rule_arn = ev.put_rule(Name="t", EventBusName="tagged", EventPattern=pattern, Tags=[{"Key": "a", "Value": "1"}])["RuleArn"]
for arn in [bus_arn("tagged"), rule_arn, archive_arn("orders-all"), crm_arn, dest_arn]:
    ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "test"}, {"Key": "owner", "Value": "me"}])
    ev.untag_resource(ResourceARN=arn, TagKeys=["owner", "never-set"])
    tags = {t["Key"]: t["Value"] for t in ev.list_tags_for_resource(ResourceARN=arn)["Tags"]}
    assert tags.get("env") == "test" and "owner" not in tags, (arn, tags)
assert {t["Key"] for t in ev.list_tags_for_resource(ResourceARN=rule_arn)["Tags"]} == {"a", "env"}
fails("ResourceNotFoundException", ev.list_tags_for_resource, ResourceARN=bus_arn("no-such-bus"))
fails("ResourceNotFoundException", ev.tag_resource, ResourceARN=archive_arn("none"), Tags=[{"Key": "k", "Value": "v"}])
fails("ValidationException", ev.tag_resource, ResourceARN=bus_arn("tagged"), Tags=[{"Key": "aws:x", "Value": "v"}])
fails("ValidationException", ev.tag_resource, ResourceARN=f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-q", Tags=[{"Key": "k", "Value": "v"}])
fails("LimitExceededException", ev.tag_resource, ResourceARN=bus_arn("tagged"),
      Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
fails("AccessDeniedException", pub.tag_resource, ResourceARN=bus_arn("tagged"), Tags=[{"Key": "k", "Value": "v"}])
ev.delete_rule(Name="t", EventBusName="tagged")
ev.delete_event_bus(Name="tagged")
ev.create_event_bus(Name="tagged")
assert ev.list_tags_for_resource(ResourceARN=bus_arn("tagged"))["Tags"] == []  # deleted with the bus
fails("UnknownOperationException", ev.list_endpoints)
print("ALL OK")
