"""Drives a running schemabus through Confluent's own Python client (confluent-kafka's
SchemaRegistryClient, JSONSerializer, JSONDeserializer; no Kafka broker needed).

Usage: python confluent_client.py BASE_URL KEY
Run by tests/api/ccompat_client.rs; every check raises on failure and the script prints
one line per step, then "ALL OK".
"""
import json
import struct
import sys

from confluent_kafka.schema_registry import (
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
)
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

BASE, KEY = sys.argv[1], sys.argv[2]


def step(name):
    print("step:", name, flush=True)


def expect_error(fn, http, code):
    try:
        fn()
    except SchemaRegistryError as e:
        assert e.http_status_code == http and e.error_code == code, (e.http_status_code, e.error_code, e.error_message)
        return e
    raise AssertionError(f"expected {http}/{code}")


basic = SchemaRegistryClient({"url": BASE, "basic.auth.user.info": f"anyone:{KEY}"})
bearer = SchemaRegistryClient(
    {
        "url": BASE,
        "bearer.auth.credentials.source": "STATIC_TOKEN",
        "bearer.auth.token": KEY,
        "bearer.auth.logical.cluster": "lsrc-schemabus",
    }
)
anonymous = SchemaRegistryClient({"url": BASE})

step("auth: basic, bearer, none")
assert basic.get_schema_types() == ["JSON"]
assert bearer.get_schema_types() == ["JSON"]
expect_error(lambda: anonymous.get_subjects(), 401, 401)
wrong = SchemaRegistryClient({"url": BASE, "basic.auth.user.info": "anyone:sb_not_a_key"})
expect_error(lambda: wrong.get_subjects(), 401, 401)

order_v1 = json.dumps(
    {
        "type": "object",
        "properties": {"id": {"type": "string"}, "amount": {"type": "number"}},
        "required": ["id"],
    }
)

step("register, same content under two subjects has one id")
sid = basic.register_schema("orders-value", Schema(order_v1, "JSON"))
sid2 = bearer.register_schema("com.acme.Order", Schema(order_v1, "JSON"))
assert sid == sid2, (sid, sid2)
assert basic.register_schema("orders-value", Schema(order_v1, "JSON")) == sid

step("lookup")
found = bearer.lookup_schema("orders-value", Schema(order_v1, "JSON"))
assert found.schema_id == sid and found.version == 1 and found.subject == "orders-value"
expect_error(
    lambda: bearer.lookup_schema("orders-value", Schema(json.dumps({"type": "string"}), "JSON")), 404, 40403
)
expect_error(lambda: bearer.lookup_schema("nobody-value", Schema(order_v1, "JSON")), 404, 40401)

step("fetch by id, subjects and versions of an id")
fetched = SchemaRegistryClient({"url": BASE, "basic.auth.user.info": f"u:{KEY}"}).get_schema(sid)
assert json.loads(fetched.schema_str) == json.loads(order_v1) and fetched.schema_type == "JSON"
assert sorted(basic.get_subjects_by_schema_id(sid)) == ["com.acme.Order", "orders-value"]
assert {(v.subject, v.version) for v in basic.get_schema_versions(sid)} == {("orders-value", 1), ("com.acme.Order", 1)}
expect_error(lambda: basic.get_schema(999999), 404, 40403)
assert set(basic.get_subjects()) >= {"orders-value", "com.acme.Order"}
latest = basic.get_latest_version("orders-value")
assert latest.schema_id == sid and latest.version == 1

step("AVRO is refused with 42201")
e = expect_error(lambda: basic.register_schema("avro-value", Schema('"string"', "AVRO")), 422, 42201)
assert "JSON Schema" in e.error_message

step("auto-register on serialize, wire format, deserialize")
payment = json.dumps({"type": "object", "properties": {"p": {"type": "integer"}}, "required": ["p"]})
serializer = JSONSerializer(payment, basic, conf={"auto.register.schemas": True})
ctx = SerializationContext("payments", MessageField.VALUE)
data = serializer({"p": 42}, ctx)
assert data[0] == 0, data[:5]
(wire_id,) = struct.unpack(">I", data[1:5])
assert wire_id == basic.get_latest_version("payments-value").schema_id
assert json.loads(data[5:]) == {"p": 42}
fresh = SchemaRegistryClient({"url": BASE, "basic.auth.user.info": f"u:{KEY}"})
deserializer = JSONDeserializer(None, schema_registry_client=fresh)
assert deserializer(data, ctx) == {"p": 42}

step("compatibility with verbose")
breaking = json.dumps({"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]})
assert basic.test_compatibility("orders-value", Schema(order_v1, "JSON")) is True
assert basic.test_compatibility("orders-value", Schema(breaking, "JSON")) is False
assert basic.test_compatibility_all_versions("orders-value", Schema(order_v1, "JSON")) is True
verbose = basic._rest_client.post(
    "compatibility/subjects/orders-value/versions/latest?verbose=true",
    body={"schemaType": "JSON", "schema": breaking},
)
assert verbose["is_compatible"] is False and verbose["messages"], verbose
e = expect_error(lambda: basic.register_schema("orders-value", Schema(breaking, "JSON")), 409, 409)

step("config")
assert basic.get_compatibility() == "BACKWARD"
expect_error(lambda: basic.get_compatibility("orders-value"), 404, 40408)
assert basic.set_compatibility("orders-value", "NONE") == {"compatibility": "NONE"}
assert basic.get_compatibility("orders-value") == "NONE"
expect_error(lambda: basic.set_compatibility("orders-value", "SIDEWAYS"), 422, 42203)
v2 = basic.register_schema("orders-value", Schema(breaking, "JSON"))
assert v2 != sid
assert basic.get_versions("orders-value") == [1, 2]

step("mode")
assert basic.get_global_mode() == "READWRITE"
assert basic.update_mode("orders-value", "READONLY") == "READONLY"
assert basic.get_mode("orders-value") == "READONLY"
expect_error(
    lambda: basic.register_schema("orders-value", Schema(json.dumps({"type": "object"}), "JSON")), 422, 42205
)
assert basic.delete_mode("orders-value") == "READONLY"
expect_error(lambda: basic.update_mode("orders-value", "SIDEWAYS"), 422, 42204)
assert basic.update_global_mode("READONLY") == "READONLY"
expect_error(lambda: basic.register_schema("ro-value", Schema(json.dumps({"type": "object"}), "JSON")), 422, 42205)
assert basic._rest_client.delete("mode") == {"mode": "READONLY"}
assert basic.get_global_mode() == "READWRITE"

step("wrong method 405, unknown path 404")
expect_error(lambda: basic._rest_client.put("subjects", body={}), 405, 405)
expect_error(lambda: basic._rest_client.get("no/such/path"), 404, 404)

step("soft and permanent delete of a version and a subject")
assert basic.delete_version("orders-value", 2) == 2
assert basic.get_versions("orders-value") == [1]
assert basic.get_versions("orders-value", deleted_only=True) == [2]
assert basic.get_versions("orders-value", deleted=True, offset=1, limit=1) == [2]
assert basic.get_latest_version("orders-value").version == 1
expect_error(lambda: basic.get_version("orders-value", 2), 404, 40402)
expect_error(lambda: basic.delete_version("orders-value", 1, permanent=True), 404, 40407)
assert basic.delete_version("orders-value", 2, permanent=True) == 2
assert basic.delete_subject("com.acme.Order") == [1]
assert "com.acme.Order" not in basic.get_subjects()
assert "com.acme.Order" in basic.get_subjects(deleted=True)
assert basic.get_subjects(deleted_only=True) == ["com.acme.Order"]
assert basic.delete_subject("com.acme.Order", permanent=True) == [1]
assert "com.acme.Order" not in basic.get_subjects(deleted=True)
assert basic.get_schema(sid).schema_str is not None  # still held by orders-value

step("references across subjects")
customer = json.dumps({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
cid = basic.register_schema("customer", Schema(customer, "JSON"))
with_ref = json.dumps(
    {"type": "object", "properties": {"customer": {"$ref": "customer.json"}}, "required": ["customer"]}
)
ref_schema = Schema(with_ref, "JSON", [SchemaReference("customer.json", "customer", 1)])
rid = basic.register_schema("invoice-value", ref_schema)
assert rid not in (cid, sid)
assert basic.get_referenced_by("customer", 1) == [rid]
got = basic.get_version("invoice-value", 1)
assert [(r.name, r.subject, r.version) for r in got.schema.references] == [("customer.json", "customer", 1)]
ser = JSONSerializer(ref_schema, basic, conf={"auto.register.schemas": False, "use.latest.version": True})
ictx = SerializationContext("invoice", MessageField.VALUE)
blob = ser({"customer": {"name": "Ada"}}, ictx)
assert struct.unpack(">I", blob[1:5])[0] == rid
assert JSONDeserializer(None, schema_registry_client=fresh)(blob, ictx) == {"customer": {"name": "Ada"}}
bad_ref = Schema(with_ref, "JSON", [SchemaReference("customer.json", "no-such-subject", 1)])
expect_error(lambda: basic.register_schema("invoice2-value", bad_ref), 422, 42201)
expect_error(lambda: basic.delete_version("customer", 1), 422, 42206)

step("contexts")
staged = basic.register_schema(":.staging:orders-value", Schema(order_v1, "JSON"))
assert staged == sid  # same content, same id, in another registry
assert basic.get_latest_version(":.staging:orders-value").version == 1
assert basic.get_subjects() == sorted(basic.get_subjects())
assert ":.staging:orders-value" not in basic.get_subjects()
assert basic._rest_client.get("subjects", {"subjectPrefix": ":.staging:"}) == [":.staging:orders-value"]
assert basic.get_subjects(subject_prefix=":.staging:") == [":.staging:orders-value"]
assert basic.get_subjects(subject_prefix=":*:orders") == ["orders-value", ":.staging:orders-value"]
contexts = basic.get_contexts()
assert contexts[0] == "." and ".staging" in contexts, contexts
assert basic.get_contexts(offset=0, limit=1) == ["."]
assert sorted(basic.get_subjects_by_schema_id(sid, subject_name=":*:")) == [":.staging:orders-value", "orders-value"]

print("ALL OK", flush=True)
