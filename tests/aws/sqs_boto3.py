"""boto3 (pinned) against a real `schemabus serve --aws-listen`: every SQS operation group
served, with paging, batch errors, digests, long polling, visibility, redrive, the
EventBridge -> SQS pipeline and error cases. Run by tests/api/aws_sqs.rs.

argv: aws_endpoint native_base admin_key admin_id admin_secret consumer_id consumer_secret
Prints ALL OK at the end; any failed assertion exits non-zero.

botocore 1.44 does not check SQS digests itself (the Java, JS and .NET SDKs do), so this
script recomputes MD5OfMessageBody and MD5OfMessageAttributes with its own implementation
of the AWS encoding and compares them with the server's.
"""
import base64
import hashlib
import json
import struct
import sys
import threading
import time
import urllib.request

import boto3
import botocore
from botocore.config import Config

endpoint, native, admin_key, admin_id, admin_secret, cons_id, cons_secret = sys.argv[1:8]
ACCOUNT, REGION = "123456789012", "us-east-1"
cfg = Config(retries={"max_attempts": 1})
# For the batch-rule errors, which botocore would otherwise not send.
raw_cfg = Config(retries={"max_attempts": 1}, parameter_validation=False)


def client(service, key_id, secret, region=REGION, config=cfg):
    return boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id=key_id,
                        aws_secret_access_key=secret, config=config)


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
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def md5_body(text):
    return hashlib.md5(text.encode()).hexdigest()


def md5_attributes(attrs):
    h = hashlib.md5()

    def enc(b):
        h.update(struct.pack(">I", len(b)))
        h.update(b)
    for name in sorted(attrs, key=lambda n: n.encode()):
        a = attrs[name]
        enc(name.encode())
        enc(a["DataType"].encode())
        if a["DataType"].startswith("Binary"):
            h.update(b"\x02")
            enc(a["BinaryValue"])
        else:
            h.update(b"\x01")
            enc(a["StringValue"].encode())
    return h.hexdigest()


sqs = client("sqs", admin_id, admin_secret)
raw = client("sqs", admin_id, admin_secret, config=raw_cfg)
url_of = lambda q: f"{endpoint}/{ACCOUNT}/{q}"
arn_of = lambda q: f"arn:aws:sqs:{REGION}:{ACCOUNT}:{q}"

# ---- queues: create (idempotent), URL, list with prefix and paging, attributes
for i in range(5):
    assert sqs.create_queue(QueueName=f"page-{i}")["QueueUrl"] == url_of(f"page-{i}")
q = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "5", "MessageRetentionPeriod": "3600"})["QueueUrl"]
assert q == url_of("work"), q
assert sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "5"})["QueueUrl"] == q  # same: idempotent
e = fails("QueueAlreadyExists", sqs.create_queue, QueueName="work", Attributes={"VisibilityTimeout": "6"})
assert isinstance(e, sqs.exceptions.QueueNameExists), type(e)
fails("InvalidAttributeValue", sqs.create_queue, QueueName="f.fifo", Attributes={"FifoQueue": "true"})
fails("InvalidAttributeName", sqs.create_queue, QueueName="x", Attributes={"Nope": "1"})
fails("InvalidAttributeName", sqs.create_queue, QueueName="x", Attributes={"Policy": "{}"})
fails("InvalidAttributeValue", sqs.create_queue, QueueName="x", Attributes={"VisibilityTimeout": "43201"})
assert sqs.get_queue_url(QueueName="work")["QueueUrl"] == q
e = fails("AWS.SimpleQueueService.NonExistentQueue", sqs.get_queue_url, QueueName="absent")
assert isinstance(e, sqs.exceptions.QueueDoesNotExist), type(e)
assert e.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist", e.response
fails("AWS.SimpleQueueService.NonExistentQueue", sqs.get_queue_attributes, QueueUrl=url_of("absent"), AttributeNames=["All"])
fails("AWS.SimpleQueueService.NonExistentQueue", sqs.get_queue_attributes, QueueUrl="http://elsewhere/999999999999/work")
seen, token = [], None
while True:
    kw = {"QueueNamePrefix": "page-", "MaxResults": 2}
    if token:
        kw["NextToken"] = token
    page = sqs.list_queues(**kw)
    assert len(page["QueueUrls"]) <= 2
    seen += page["QueueUrls"]
    token = page.get("NextToken")
    if not token:
        break
assert seen == [url_of(f"page-{i}") for i in range(5)], seen
assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="none-")
assert url_of("work") in sqs.list_queues()["QueueUrls"]
fails("InvalidParameterValue", sqs.list_queues, MaxResults=1001)
for i in range(5):
    sqs.delete_queue(QueueUrl=url_of(f"page-{i}"))

# ---- tags: set at creation, added, replaced and removed
t = sqs.create_queue(QueueName="tagged", tags={"team": "shop", "env": "test"})["QueueUrl"]
assert sqs.list_queue_tags(QueueUrl=t)["Tags"] == {"team": "shop", "env": "test"}
sqs.tag_queue(QueueUrl=t, Tags={"env": "prod", "cost": "42"})
assert sqs.list_queue_tags(QueueUrl=t)["Tags"] == {"team": "shop", "env": "prod", "cost": "42"}
sqs.untag_queue(QueueUrl=t, TagKeys=["team", "absent"])
assert sqs.list_queue_tags(QueueUrl=t)["Tags"] == {"env": "prod", "cost": "42"}
sqs.untag_queue(QueueUrl=t, TagKeys=["env", "cost"])
assert "Tags" not in sqs.list_queue_tags(QueueUrl=q)
fails("InvalidParameterValue", sqs.tag_queue, QueueUrl=t, Tags={f"k{i}": "v" for i in range(51)})
fails("AWS.SimpleQueueService.NonExistentQueue", sqs.list_queue_tags, QueueUrl=url_of("absent"))
sqs.delete_queue(QueueUrl=t)

a = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
assert a["VisibilityTimeout"] == "5" and a["MessageRetentionPeriod"] == "3600" and a["QueueArn"] == arn_of("work"), a
assert a["ApproximateNumberOfMessages"] == "0" and a["DelaySeconds"] == "0" and "RedrivePolicy" not in a, a
assert int(a["CreatedTimestamp"]) > 1_700_000_000 and int(a["LastModifiedTimestamp"]) >= int(a["CreatedTimestamp"]), a
sqs.set_queue_attributes(QueueUrl=q, Attributes={"VisibilityTimeout": "7", "ReceiveMessageWaitTimeSeconds": "0", "DelaySeconds": "0"})
a = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["VisibilityTimeout", "QueueArn"])["Attributes"]
assert a == {"VisibilityTimeout": "7", "QueueArn": arn_of("work")}, a
fails("InvalidAttributeName", sqs.get_queue_attributes, QueueUrl=q, AttributeNames=["Bogus"])
fails("InvalidAttributeValue", sqs.set_queue_attributes, QueueUrl=q, Attributes={"DelaySeconds": "901"})
fails("InvalidAttributeValue", sqs.set_queue_attributes, QueueUrl=q, Attributes={"RedrivePolicy": '{"deadLetterTargetArn": "x"}'})

# ---- messages: send with attributes (digests checked here), receive with system attributes
attrs = {"color": {"DataType": "String", "StringValue": "red"},
         "count": {"DataType": "Number.int", "StringValue": "42"},
         "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
         "trace.id": {"DataType": "String", "StringValue": "t-1"}}
body = "hello, sqs — ünïcode"
out = sqs.send_message(QueueUrl=q, MessageBody=body, MessageAttributes=attrs)
assert out["MD5OfMessageBody"] == md5_body(body), out
assert out["MD5OfMessageAttributes"] == md5_attributes(attrs), out
plain = sqs.send_message(QueueUrl=q, MessageBody="plain")
assert "MD5OfMessageAttributes" not in plain and plain["MD5OfMessageBody"] == md5_body("plain"), plain
fails("InvalidParameterValue", sqs.send_message, QueueUrl=q, MessageBody="x",
      MessageAttributes={"n": {"DataType": "Number", "StringValue": "not a number"}})
fails("InvalidParameterValue", sqs.send_message, QueueUrl=q, MessageBody="x", MessageGroupId="g")
fails("InvalidParameterValue", sqs.send_message, QueueUrl=q, MessageBody="x", DelaySeconds=901)
before = int(time.time() * 1000)
got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                          MessageSystemAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
assert len(got) == 2, got
m = next(x for x in got if x["MessageId"] == out["MessageId"])
assert m["Body"] == body and m["MD5OfBody"] == md5_body(body), m
assert m["MessageAttributes"] == attrs and m["MD5OfMessageAttributes"] == md5_attributes(attrs), m
assert m["Attributes"]["ApproximateReceiveCount"] == "1", m
assert before - 60_000 < int(m["Attributes"]["SentTimestamp"]) <= int(m["Attributes"]["ApproximateFirstReceiveTimestamp"]), m
# Only the attributes asked for, and their digest.
sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
again = sqs.receive_message(QueueUrl=q, MessageAttributeNames=["color", "trace.*"], AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
chosen = {k: attrs[k] for k in ("color", "trace.id")}
assert again["MessageId"] == m["MessageId"] and again["MessageAttributes"] == chosen, again
assert again["MD5OfMessageAttributes"] == md5_attributes(chosen) and again["Attributes"] == {"ApproximateReceiveCount": "2"}, again
assert sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"] == {
    "ApproximateNumberOfMessagesNotVisible": "2"}
sqs.delete_message(QueueUrl=q, ReceiptHandle=again["ReceiptHandle"])
sqs.delete_message(QueueUrl=q, ReceiptHandle=again["ReceiptHandle"])  # stale: success, as SQS
fails("ReceiptHandleIsInvalid", sqs.delete_message, QueueUrl=q, ReceiptHandle="not-a-handle")
fails("InvalidParameterValue", sqs.receive_message, QueueUrl=q, MaxNumberOfMessages=11)
fails("InvalidParameterValue", sqs.receive_message, QueueUrl=q, WaitTimeSeconds=21)
sqs.purge_queue(QueueUrl=q)
assert "Messages" not in sqs.receive_message(QueueUrl=q)

# ---- batches: per-entry results and SQS's batch errors
entries = [{"Id": "a", "MessageBody": "one", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
           {"Id": "b", "MessageBody": "two", "DelaySeconds": 0},
           {"Id": "c", "MessageBody": "bad", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "NaN?"}}}]
out = sqs.send_message_batch(QueueUrl=q, Entries=entries)
ok = {s["Id"]: s for s in out["Successful"]}
assert set(ok) == {"a", "b"} and [f["Id"] for f in out["Failed"]] == ["c"], out
assert out["Failed"][0]["SenderFault"] is True and out["Failed"][0]["Code"] == "InvalidParameterValue", out
assert ok["a"]["MD5OfMessageBody"] == md5_body("one") and ok["a"]["MD5OfMessageAttributes"] == md5_attributes(entries[0]["MessageAttributes"]), ok
fails("AWS.SimpleQueueService.EmptyBatchRequest", raw.send_message_batch, QueueUrl=q, Entries=[])
fails("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", raw.send_message_batch, QueueUrl=q,
      Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)])
fails("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", raw.send_message_batch, QueueUrl=q,
      Entries=[{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}])
fails("AWS.SimpleQueueService.InvalidBatchEntryId", raw.send_message_batch, QueueUrl=q, Entries=[{"Id": "no spaces", "MessageBody": "1"}])
fails("AWS.SimpleQueueService.BatchRequestTooLong", raw.send_message_batch, QueueUrl=q,
      Entries=[{"Id": str(i), "MessageBody": "x" * 100_000} for i in range(3)])
fails("AWS.SimpleQueueService.EmptyBatchRequest", raw.delete_message_batch, QueueUrl=q, Entries=[])
got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]
assert sorted(x["Body"] for x in got) == ["one", "two"], got
out = sqs.change_message_visibility_batch(QueueUrl=q, Entries=[
    {"Id": "a", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 60},
    {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 60}])
assert [s["Id"] for s in out["Successful"]] == ["a"] and out["Failed"][0]["Code"] == "ReceiptHandleIsInvalid", out
out = sqs.delete_message_batch(QueueUrl=q, Entries=[{"Id": f"m{i}", "ReceiptHandle": x["ReceiptHandle"]} for i, x in enumerate(got)]
                               + [{"Id": "bad", "ReceiptHandle": "garbage"}])
assert sorted(s["Id"] for s in out["Successful"]) == ["m0", "m1"] and out["Failed"][0]["Id"] == "bad", out
# A handle whose message is gone is not in flight.
fails("AWS.SimpleQueueService.MessageNotInflight", sqs.change_message_visibility, QueueUrl=q,
      ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=10)

# ---- long polling: waits when empty, returns early when a message arrives
t0 = time.time()
assert "Messages" not in sqs.receive_message(QueueUrl=q, WaitTimeSeconds=2)
assert 1.8 <= time.time() - t0 < 5, time.time() - t0
threading.Timer(1.0, lambda: client("sqs", admin_id, admin_secret).send_message(QueueUrl=q, MessageBody="late")).start()
t0 = time.time()
got = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=15)
waited = time.time() - t0
assert got["Messages"][0]["Body"] == "late" and 0.8 <= waited < 5, (got, waited)
# The queue's ReceiveMessageWaitTimeSeconds applies when the call does not say.
sqs.set_queue_attributes(QueueUrl=q, Attributes={"ReceiveMessageWaitTimeSeconds": "1"})
t0 = time.time()
assert "Messages" not in sqs.receive_message(QueueUrl=q)
assert time.time() - t0 >= 0.9
sqs.set_queue_attributes(QueueUrl=q, Attributes={"ReceiveMessageWaitTimeSeconds": "0"})

# ---- visibility timeout expiry: the message comes back with ApproximateReceiveCount 2
sqs.send_message(QueueUrl=q, MessageBody="again")
first = sqs.receive_message(QueueUrl=q, VisibilityTimeout=1)["Messages"][0]
assert "Messages" not in sqs.receive_message(QueueUrl=q)
time.sleep(1.3)
second = sqs.receive_message(QueueUrl=q, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
assert second["MessageId"] == first["MessageId"] and second["Attributes"]["ApproximateReceiveCount"] == "2", second
sqs.delete_message(QueueUrl=q, ReceiptHandle=first["ReceiptHandle"])  # stale handle: nothing deleted
sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=30)
sqs.delete_message(QueueUrl=q, ReceiptHandle=second["ReceiptHandle"])  # still valid after the change
assert "Messages" not in sqs.receive_message(QueueUrl=q, VisibilityTimeout=0)

# ---- redrive: after maxReceiveCount receives, the message moves to the dead-letter queue
dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
redrive = json.dumps({"deadLetterTargetArn": arn_of("work-dlq"), "maxReceiveCount": "2"})
src = sqs.create_queue(QueueName="flaky", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": redrive})["QueueUrl"]
rp = json.loads(sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
assert rp == {"deadLetterTargetArn": arn_of("work-dlq"), "maxReceiveCount": 2}, rp
assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
sqs.send_message(QueueUrl=src, MessageBody="poison")
for n in ("1", "2"):
    m = sqs.receive_message(QueueUrl=src, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert m["Attributes"]["ApproximateReceiveCount"] == n, m
assert "Messages" not in sqs.receive_message(QueueUrl=src)
dead = sqs.receive_message(QueueUrl=dlq)["Messages"]
assert [d["Body"] for d in dead] == ["poison"], dead
fails("InvalidAttributeValue", sqs.set_queue_attributes, QueueUrl=src,
      Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": arn_of("absent"), "maxReceiveCount": 1})})
sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": ""})
assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == []

# ---- the EventBridge -> SQS pipeline, with a validated bus; the consumer is unchanged
ev = client("events", admin_id, admin_secret)
ev.create_event_bus(Name="orders")
native_call("POST", "/v1/registries", {"name": "shop"})
schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["id"],
          "properties": {"id": {"type": "integer"}}}
native_call("POST", "/v1/registries/shop/schemas/orders@OrderPlaced/versions", {"content": schema})
native_call("PATCH", "/v1/buses/orders", {"validation": {"mode": "enforce", "registry": "shop"}})
orders_q = sqs.create_queue(QueueName="orders-q")["QueueUrl"]
ev.put_rule(Name="to-sqs", EventBusName="orders", EventPattern=json.dumps({"source": ["orders"]}))
out = ev.put_targets(Rule="to-sqs", EventBusName="orders", Targets=[{"Id": "q", "Arn": arn_of("orders-q")}])
assert out["FailedEntryCount"] == 0, out
res = ev.put_events(Entries=[
    {"Source": "orders", "DetailType": "Order Placed", "Detail": json.dumps({"id": 7}), "EventBusName": "orders"},
    {"Source": "orders", "DetailType": "Order Placed", "Detail": json.dumps({"id": "seven"}), "EventBusName": "orders"}])
assert res["FailedEntryCount"] == 1 and res["Entries"][1]["ErrorCode"] == "SchemaValidationFailed", res


def consume(queue_url):
    """A consumer written for an EventBridge -> SQS pipeline."""
    handled = []
    resp = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    for msg in resp.get("Messages", []):
        event = json.loads(msg["Body"])
        handled.append((event["source"], event["detail-type"], event["detail"], event["account"], event["region"], event["id"]))
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=msg["ReceiptHandle"])
    return handled


handled = consume(orders_q)
assert len(handled) == 1, handled
assert handled[0][:5] == ("orders", "Order Placed", {"id": 7}, ACCOUNT, REGION), handled
assert handled[0][5] == res["Entries"][0]["EventId"], (handled, res)
assert consume(orders_q) == []  # deleted

# ---- credentials and grants
fails("SignatureDoesNotMatch", client("sqs", admin_id, "x" * 40).list_queues)
fails("InvalidClientTokenId", client("sqs", "AKIANOTAKEY000000000", admin_secret).list_queues)
fails("SignatureDoesNotMatch", client("sqs", admin_id, admin_secret, region="eu-west-1").list_queues)
cons = client("sqs", cons_id, cons_secret)
sqs.send_message(QueueUrl=orders_q, MessageBody='{"for": "consumer"}')
m = cons.receive_message(QueueUrl=orders_q)["Messages"][0]
cons.delete_message(QueueUrl=orders_q, ReceiptHandle=m["ReceiptHandle"])
fails("AccessDenied", cons.receive_message, QueueUrl=q)
fails("AccessDenied", cons.create_queue, QueueName="mine")
fails("AccessDenied", cons.send_message, QueueUrl=orders_q, MessageBody="x")

# ---- delete; protocol
sqs.delete_queue(QueueUrl=src)
fails("AWS.SimpleQueueService.NonExistentQueue", sqs.get_queue_url, QueueName="flaky")
fails("AWS.SimpleQueueService.NonExistentQueue", sqs.delete_queue, QueueUrl=src)
fails("InvalidAction", sqs.list_message_move_tasks, SourceArn=arn_of("work"))
print("ALL OK")
