"""boto3 (pinned) against a real `schemabus serve --aws-listen`: every Schemas operation
group, with paging and error cases. Run by tests/api/aws_schemas.rs.

argv: aws_endpoint native_base admin_key admin_id admin_secret reader_id reader_secret
Prints ALL OK at the end; any failed assertion exits non-zero.
"""
import io
import json
import sys
import time
import urllib.error
import urllib.request
import zipfile

import boto3
import botocore
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.config import Config

endpoint, native, admin_key, admin_id, admin_secret, reader_id, reader_secret = sys.argv[1:8]
ACCOUNT, REGION = "123456789012", "us-east-1"
cfg = Config(retries={"max_attempts": 1})


def client(service, key_id=admin_id, secret=admin_secret):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key_id,
                        aws_secret_access_key=secret, config=cfg)


def native_call(method, path, body=None):
    req = urllib.request.Request(native + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


def fails(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        return e.response
    raise AssertionError(f"expected {code}, the call succeeded")


def pages(fn, key, **kw):
    seen, token = [], None
    while True:
        args = dict(kw)
        if token:
            args["NextToken"] = token
        page = fn(**args)
        seen.append(page[key])
        token = page.get("NextToken")
        if not token:
            return seen


sc = client("schemas")
ev = client("events")
reg_arn = lambda r: f"arn:aws:schemas:{REGION}:{ACCOUNT}:registry/{r}"
schema_arn = lambda r, s: f"arn:aws:schemas:{REGION}:{ACCOUNT}:schema/{r}/{s}"
bus_arn = lambda b: f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{b}"

# ---- registries: create, conflict, bad name, describe, list with prefix/paging/scope, update, delete
for i in range(5):
    out = sc.create_registry(RegistryName=f"page-{i}", Description=f"registry {i}", Tags={"n": str(i)})
    assert out["RegistryArn"] == reg_arn(f"page-{i}") and out["Tags"] == {"n": str(i)}, out
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201, out
e = fails("ConflictException", sc.create_registry, RegistryName="page-0")
assert e["ResponseMetadata"]["HTTPStatusCode"] == 409 and "already exists" in e["Error"]["Message"], e
fails("BadRequestException", sc.create_registry, RegistryName="bad name!")
d = sc.describe_registry(RegistryName="page-1")
assert d["Description"] == "registry 1" and d["RegistryArn"] == reg_arn("page-1"), d
e = fails("NotFoundException", sc.describe_registry, RegistryName="nope")
assert e["ResponseMetadata"]["HTTPStatusCode"] == 404, e
listed = pages(sc.list_registries, "Registries", RegistryNamePrefix="page-", Limit=2)
assert [len(p) for p in listed] == [2, 2, 1], listed
assert [r["RegistryName"] for p in listed for r in p] == [f"page-{i}" for i in range(5)], listed
local = [r["RegistryName"] for r in sc.list_registries(Scope="LOCAL")["Registries"]]
assert "page-0" in local and "discovered-schemas" not in local, local
fails("BadRequestException", sc.list_registries, Scope="NOPE")
fails("BadRequestException", sc.list_registries, NextToken="not-a-token")
u = sc.update_registry(RegistryName="page-2", Description="changed")
assert u["Description"] == "changed", u
sc.delete_registry(RegistryName="page-4")
fails("NotFoundException", sc.delete_registry, RegistryName="page-4")

# ---- schemas: JSONSchemaDraft4 create, conflict, describe as given, update (new version), list, versions, search, export
draft4 = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                     "properties": {"orderId": {"type": "string"}}, "required": ["orderId"],
                     "additionalProperties": False})
c = sc.create_schema(RegistryName="page-0", SchemaName="Order", Type="JSONSchemaDraft4", Content=draft4,
                     Description="an order", Tags={"team": "shop"})
assert c["SchemaVersion"] == "1" and c["Type"] == "JSONSchemaDraft4" and c["SchemaArn"] == schema_arn("page-0", "Order"), c
assert c["Description"] == "an order" and c["Tags"] == {"team": "shop"}, c
fails("ConflictException", sc.create_schema, RegistryName="page-0", SchemaName="Order", Type="JSONSchemaDraft4", Content=draft4)
fails("BadRequestException", sc.create_schema, RegistryName="page-0", SchemaName="Bad", Type="JSONSchemaDraft4", Content="{not json")
fails("BadRequestException", sc.create_schema, RegistryName="page-0", SchemaName="Bad", Type="Avro", Content=draft4)
fails("NotFoundException", sc.create_schema, RegistryName="nope", SchemaName="Bad", Type="JSONSchemaDraft4", Content=draft4)
d = sc.describe_schema(RegistryName="page-0", SchemaName="Order")
assert json.loads(d["Content"]) == json.loads(draft4) and d["SchemaVersion"] == "1", d
assert d["Type"] == "JSONSchemaDraft4" and d["Description"] == "an order", d
v2 = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                 "properties": {"orderId": {"type": "string"}, "note": {"type": "string"}}, "required": ["orderId"],
                 "additionalProperties": False})
breaking = json.loads(v2)
breaking["properties"]["orderId"] = {"type": "integer"}
e = fails("ConflictException", sc.update_schema, RegistryName="page-0", SchemaName="Order", Content=json.dumps(breaking))
assert "BACKWARD" in e["Error"]["Message"], e
u = sc.update_schema(RegistryName="page-0", SchemaName="Order", Content=v2, Description="an order, v2")
assert u["SchemaVersion"] == "2" and u["Description"] == "an order, v2", u
assert sc.describe_schema(RegistryName="page-0", SchemaName="Order", SchemaVersion="1")["SchemaVersion"] == "1"
fails("NotFoundException", sc.describe_schema, RegistryName="page-0", SchemaName="Order", SchemaVersion="9")
fails("NotFoundException", sc.update_schema, RegistryName="page-0", SchemaName="Nope", Description="x")
for i in range(3):
    sc.create_schema(RegistryName="page-0", SchemaName=f"Pay{i}", Type="JSONSchemaDraft4", Content=draft4)
listed = pages(sc.list_schemas, "Schemas", RegistryName="page-0", SchemaNamePrefix="Pay", Limit=2)
assert [[s["SchemaName"] for s in p] for p in listed] == [["Pay0", "Pay1"], ["Pay2"]], listed
assert listed[0][0]["VersionCount"] == 1 and "LastModified" in listed[0][0], listed
body = json.loads(v2)
for n in range(3, 12):
    body["properties"][f"extra{n}"] = {"type": "string"}
    sc.update_schema(RegistryName="page-0", SchemaName="Order", Content=json.dumps(body))
versions = pages(sc.list_schema_versions, "SchemaVersions", RegistryName="page-0", SchemaName="Order", Limit=5)
assert [v["SchemaVersion"] for p in versions for v in p] == [str(n) for n in range(1, 12)], versions
sc.delete_schema_version(RegistryName="page-0", SchemaName="Order", SchemaVersion="1")
fails("NotFoundException", sc.delete_schema_version, RegistryName="page-0", SchemaName="Order", SchemaVersion="1")
assert sc.list_schema_versions(RegistryName="page-0", SchemaName="Order")["SchemaVersions"][0]["SchemaVersion"] == "2"
found = sc.search_schemas(RegistryName="page-0", Keywords="note")["Schemas"]
assert [s["SchemaName"] for s in found] == ["Order"], found
assert found[0]["SchemaVersions"] and found[0]["SchemaVersions"][0]["Type"] == "JSONSchemaDraft4", found
found = pages(sc.search_schemas, "Schemas", RegistryName="page-0", Keywords="orderId", Limit=1)
assert len(found) == 4 and all(len(p) == 1 for p in found), found
x = sc.export_schema(RegistryName="page-0", SchemaName="Order", SchemaVersion="2", Type="JSONSchemaDraft4")
assert json.loads(x["Content"]) == json.loads(v2) and x["Type"] == "JSONSchemaDraft4", x
fails("BadRequestException", sc.export_schema, RegistryName="page-0", SchemaName="Order", Type="OpenApi3")
sc.delete_schema(RegistryName="page-0", SchemaName="Pay2")
fails("NotFoundException", sc.describe_schema, RegistryName="page-0", SchemaName="Pay2")
fails("ConflictException", sc.delete_registry, RegistryName="page-0")

# ---- an OpenAPI 3 event schema in EventBridge's layout, validating a bus's events
sc.create_registry(RegistryName="shop")
openapi = {
    "openapi": "3.0.0",
    "info": {"version": "1.0.0", "title": "OrderPlaced"},
    "paths": {},
    "components": {"schemas": {
        "AWSEvent": {
            "type": "object",
            "required": ["detail-type", "resources", "detail", "id", "source", "time", "region", "version", "account"],
            "x-amazon-events-source": "shop",
            "x-amazon-events-detail-type": "Order Placed",
            "properties": {
                "detail": {"$ref": "#/components/schemas/OrderPlaced"},
                "account": {"type": "string"}, "detail-type": {"type": "string"}, "id": {"type": "string"},
                "region": {"type": "string"}, "resources": {"type": "array", "items": {"type": "string"}},
                "source": {"type": "string"}, "time": {"type": "string", "format": "date-time"},
                "version": {"type": "string"}
            }
        },
        "OrderPlaced": {
            "type": "object",
            "required": ["orderId", "total"],
            "additionalProperties": False,
            "properties": {
                "orderId": {"type": "string"},
                "total": {"type": "number", "minimum": 0},
                "note": {"type": "string", "nullable": True},
                "item": {"$ref": "#/components/schemas/Item"}
            }
        },
        "Item": {"type": "object", "properties": {"sku": {"type": "string"}}}
    }}
}
text = json.dumps(openapi, indent=2)
c = sc.create_schema(RegistryName="shop", SchemaName="shop@OrderPlaced", Type="OpenApi3", Content=text)
assert c["Type"] == "OpenApi3" and c["SchemaVersion"] == "1", c
d = sc.describe_schema(RegistryName="shop", SchemaName="shop@OrderPlaced")
assert json.loads(d["Content"]) == openapi and d["Type"] == "OpenApi3", d
assert list(json.loads(d["Content"])["components"]["schemas"]) == ["AWSEvent", "OrderPlaced", "Item"], d
x = json.loads(sc.export_schema(RegistryName="shop", SchemaName="shop@OrderPlaced", Type="JSONSchemaDraft4")["Content"])
assert x["$schema"] == "http://json-schema.org/draft-04/schema#" and x["required"] == ["orderId", "total"], x
assert x["properties"]["item"]["$ref"] == "#/definitions/Item" and x["properties"]["note"]["type"] == ["string", "null"], x
x = json.loads(sc.export_schema(RegistryName="shop", SchemaName="shop@OrderPlaced", Type="OpenApi3")["Content"])
assert x == openapi, x
two = {"openapi": "3.0.0", "components": {"schemas": {"A": {"type": "object"}, "B": {"type": "object"}}}}
e = fails("BadRequestException", sc.create_schema, RegistryName="shop", SchemaName="Two", Type="OpenApi3", Content=json.dumps(two))
assert "AWSEvent" in e["Error"]["Message"], e
remote = {"openapi": "3.0.0", "components": {"schemas": {"A": {"$ref": "https://example.com/a.json"}}}}
fails("BadRequestException", sc.create_schema, RegistryName="shop", SchemaName="Remote", Type="OpenApi3", Content=json.dumps(remote))
# A new version of the same type when Type is left out (an optional property of a closed detail: compatible).
openapi["components"]["schemas"]["OrderPlaced"]["properties"]["currency"] = {"type": "string"}
u = sc.update_schema(RegistryName="shop", SchemaName="shop@OrderPlaced", Content=json.dumps(openapi))
assert u["SchemaVersion"] == "2" and u["Type"] == "OpenApi3", u
status, _ = native_call("POST", "/v1/buses", {
    "name": "orders",
    "validation": {"mode": "enforce", "registry": "shop"},
    "bindings": [{"source": "shop", "detailType": "Order Placed", "schema": "shop@OrderPlaced", "version": "latest"}],
})
assert status == 201, status
put = ev.put_events(Entries=[
    {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"orderId": "o-1", "total": 3.5, "note": None, "item": {"sku": "a"}}), "EventBusName": "orders"},
    {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"orderId": "o-2", "total": -1}), "EventBusName": "orders"},
    {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"orderId": "o-3", "total": 1, "item": {"sku": 7}}), "EventBusName": "orders"},
])
assert put["FailedEntryCount"] == 2, put
assert "EventId" in put["Entries"][0], put
assert put["Entries"][1]["ErrorCode"] == "SchemaValidationFailed" and "/total" in put["Entries"][1]["ErrorMessage"], put
assert "/item/sku" in put["Entries"][2]["ErrorMessage"], put

# ---- code bindings: put, describe, source (a zip), languages not generated
p = sc.put_code_binding(RegistryName="shop", SchemaName="shop@OrderPlaced", Language="TypeScript3")
assert p["Status"] == "CREATE_COMPLETE" and p["SchemaVersion"] == "2", p
assert p["ResponseMetadata"]["HTTPStatusCode"] == 202, p
d = sc.describe_code_binding(RegistryName="shop", SchemaName="shop@OrderPlaced", Language="TypeScript3", SchemaVersion="1")
assert d["Status"] == "CREATE_COMPLETE" and d["SchemaVersion"] == "1", d
body = sc.get_code_binding_source(RegistryName="shop", SchemaName="shop@OrderPlaced", Language="Rust")["Body"].read()
files = zipfile.ZipFile(io.BytesIO(body)).namelist()
assert any(f.endswith("Cargo.toml") for f in files) and any(f.endswith("src/lib.rs") for f in files), files
lib = next(f for f in files if f.endswith("src/lib.rs"))
assert "order_id" in zipfile.ZipFile(io.BytesIO(body)).read(lib).decode(), "the Rust binding lacks the detail's fields"
body = sc.get_code_binding_source(RegistryName="shop", SchemaName="shop@OrderPlaced", Language="TypeScript3")["Body"].read()
assert any(f.endswith("src/index.ts") for f in zipfile.ZipFile(io.BytesIO(body)).namelist())
for lang in ["Java8", "Python36", "Go1"]:
    e = fails("BadRequestException", sc.put_code_binding, RegistryName="shop", SchemaName="shop@OrderPlaced", Language=lang)
    assert "Rust and TypeScript3" in e["Error"]["Message"], e
fails("NotFoundException", sc.describe_code_binding, RegistryName="shop", SchemaName="nope", Language="Rust")

# ---- GetDiscoveredSchema: synchronous inference, answered in EventBridge's layout
events = [json.dumps({"version": "0", "id": f"id-{i}", "detail-type": "Item Shipped", "source": "warehouse",
                      "account": ACCOUNT, "time": "2024-01-01T00:00:00Z", "region": REGION, "resources": [],
                      "detail": {"sku": f"s-{i}", "count": i}}) for i in range(3)]
g = json.loads(sc.get_discovered_schema(Events=events, Type="OpenApi3")["Content"])
assert g["openapi"] == "3.0.0", g
env = g["components"]["schemas"]["AWSEvent"]
assert env["x-amazon-events-source"] == "warehouse" and env["x-amazon-events-detail-type"] == "Item Shipped", env
assert env["properties"]["detail"]["$ref"] == "#/components/schemas/ItemShipped", env
detail = g["components"]["schemas"]["ItemShipped"]
assert detail["properties"]["count"]["type"] in ("integer", "number") and "sku" in detail["required"], detail
assert "nullable" not in detail["properties"]["sku"], detail
g4 = json.loads(sc.get_discovered_schema(Events=events, Type="JSONSchemaDraft4")["Content"])
assert g4["$schema"] == "http://json-schema.org/draft-04/schema#" and g4["properties"]["sku"]["type"] == "string", g4
# What it answers registers as is.
sc.create_schema(RegistryName="shop", SchemaName="warehouse@ItemShipped", Type="OpenApi3", Content=json.dumps(g))
fails("BadRequestException", sc.get_discovered_schema, Events=["{not json"], Type="OpenApi3")
fails("BadRequestException", sc.get_discovered_schema, Events=[json.dumps({"a": 1})], Type="OpenApi3")
mixed = events[:1] + [events[0].replace("Item Shipped", "Item Lost")]
fails("BadRequestException", sc.get_discovered_schema, Events=mixed, Type="OpenApi3")

# ---- discoverers: create (started), conflict, describe, stop/start, list, update, discover an event, delete
ev.create_event_bus(Name="disc")
c = sc.create_discoverer(SourceArn=bus_arn("disc"), Description="watch disc", Tags={"k": "v"})
assert c["DiscovererId"] == "events-event-bus-disc" and c["State"] == "STARTED" and c["SourceArn"] == bus_arn("disc"), c
assert c["DiscovererArn"] == f"arn:aws:schemas:{REGION}:{ACCOUNT}:discoverer/events-event-bus-disc", c
did = c["DiscovererId"]
fails("ConflictException", sc.create_discoverer, SourceArn=bus_arn("disc"))
fails("NotFoundException", sc.create_discoverer, SourceArn=bus_arn("nope"))
fails("BadRequestException", sc.create_discoverer, SourceArn="arn:aws:sqs:us-east-1:123456789012:q")
assert sc.describe_discoverer(DiscovererId=did)["Description"] == "watch disc"
fails("NotFoundException", sc.describe_discoverer, DiscovererId="nope")
assert sc.stop_discoverer(DiscovererId=did)["State"] == "STOPPED"
status, body = native_call("GET", "/v1/buses/disc/discovery")
assert status == 200 and body["enabled"] is False, body
assert sc.start_discoverer(DiscovererId=did)["State"] == "STARTED"
# The state is the bus's native discovery, whichever API switches it.
assert native_call("PUT", "/v1/buses/disc/discovery", {"enabled": False})[0] == 200
assert sc.describe_discoverer(DiscovererId=did)["State"] == "STOPPED"
assert native_call("PUT", "/v1/buses/disc/discovery", {"enabled": True})[0] == 200
sc.create_discoverer(SourceArn=bus_arn("orders"))
listed = pages(sc.list_discoverers, "Discoverers", Limit=1)
assert [d["DiscovererId"] for p in listed for d in p] == ["events-event-bus-disc", "events-event-bus-orders"], listed
only = sc.list_discoverers(SourceArnPrefix=bus_arn("ord"))["Discoverers"]
assert [d["DiscovererId"] for d in only] == ["events-event-bus-orders"], only
u = sc.update_discoverer(DiscovererId=did, Description="still watching", CrossAccount=False)
assert u["Description"] == "still watching" and u["CrossAccount"] is False, u
ev.put_events(Entries=[{"Source": "disc.shop", "DetailType": "Cart Filled", "Detail": json.dumps({"cart": "c-1", "n": 2}), "EventBusName": "disc"}])
deadline, found = time.time() + 30, None
while time.time() < deadline and not found:
    status, body = native_call("GET", "/v1/registries/discovered-schemas/schemas?prefix=disc.shop%40")
    found = body and body["items"]
    time.sleep(0.2)
assert found, "the started discoverer discovered nothing"
names = [s["SchemaName"] for s in sc.list_schemas(RegistryName="discovered-schemas")["Schemas"]]
assert any(n.startswith("disc.shop@") for n in names), names
sc.delete_discoverer(DiscovererId="events-event-bus-orders")
fails("NotFoundException", sc.delete_discoverer, DiscovererId="events-event-bus-orders")

# ---- resource policies: stored per registry or account, with RevisionId
policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "schemas:*", "Resource": "*"}]})
fails("NotFoundException", sc.get_resource_policy, RegistryName="shop")
p1 = sc.put_resource_policy(RegistryName="shop", Policy=policy)
assert json.loads(p1["Policy"]) == json.loads(policy) and p1["RevisionId"], p1
e = fails("PreconditionFailedException", sc.put_resource_policy, RegistryName="shop", Policy=policy, RevisionId="stale")
assert e["ResponseMetadata"]["HTTPStatusCode"] == 412, e
p2 = sc.put_resource_policy(RegistryName="shop", Policy=policy, RevisionId=p1["RevisionId"])
assert p2["RevisionId"] != p1["RevisionId"], p2
assert sc.get_resource_policy(RegistryName="shop")["RevisionId"] == p2["RevisionId"]
fails("BadRequestException", sc.put_resource_policy, RegistryName="shop", Policy="not json")
fails("NotFoundException", sc.put_resource_policy, RegistryName="nope", Policy=policy)
account = sc.put_resource_policy(Policy=policy)
assert sc.get_resource_policy()["RevisionId"] == account["RevisionId"]
sc.delete_resource_policy(RegistryName="shop")
fails("NotFoundException", sc.delete_resource_policy, RegistryName="shop")
sc.delete_resource_policy()

# ---- tags on registry, schema and discoverer ARNs
sc.tag_resource(ResourceArn=reg_arn("shop"), Tags={"a": "1", "b": "2"})
assert sc.list_tags_for_resource(ResourceArn=reg_arn("shop"))["Tags"] == {"a": "1", "b": "2"}
sc.untag_resource(ResourceArn=reg_arn("shop"), TagKeys=["a"])
assert sc.list_tags_for_resource(ResourceArn=reg_arn("shop"))["Tags"] == {"b": "2"}
sc.tag_resource(ResourceArn=schema_arn("shop", "shop@OrderPlaced"), Tags={"owner": "orders"})
assert sc.list_tags_for_resource(ResourceArn=schema_arn("shop", "shop@OrderPlaced"))["Tags"] == {"owner": "orders"}
assert sc.describe_schema(RegistryName="shop", SchemaName="shop@OrderPlaced")["Tags"] == {"owner": "orders"}
disc_arn = f"arn:aws:schemas:{REGION}:{ACCOUNT}:discoverer/{did}"
sc.tag_resource(ResourceArn=disc_arn, Tags={"x": "y"})
assert sc.list_tags_for_resource(ResourceArn=disc_arn)["Tags"] == {"k": "v", "x": "y"}
sc.untag_resource(ResourceArn=disc_arn, TagKeys=["k", "x"])
assert sc.describe_discoverer(DiscovererId=did)["Tags"] == {}
fails("NotFoundException", sc.list_tags_for_resource, ResourceArn=reg_arn("nope"))
fails("BadRequestException", sc.list_tags_for_resource, ResourceArn=bus_arn("disc"))
fails("BadRequestException", sc.list_tags_for_resource, ResourceArn="arn:aws:schemas:eu-west-1:123456789012:registry/shop")
sc.delete_discoverer(DiscovererId=did)
status, body = native_call("GET", "/v1/buses/disc/discovery")
assert body["enabled"] is False, body

# ---- authentication and grants, in this protocol's framing
raw = botocore.awsrequest.AWSRequest(method="GET", url=endpoint + "/v1/nowhere")
botocore.auth.SigV4Auth(botocore.credentials.Credentials(admin_id, admin_secret), "schemas", REGION).add_auth(raw)
try:
    urllib.request.urlopen(urllib.request.Request(raw.url, headers=dict(raw.headers)))
    raise AssertionError("an unknown path answered 2xx")
except urllib.error.HTTPError as e:
    assert e.code == 404 and e.headers["x-amzn-ErrorType"] == "UnknownOperationException", (e.code, e.headers)
    assert json.loads(e.read())["Code"] == "UnknownOperationException"
e = fails("InvalidSignatureException", client("schemas", admin_id, "x" * 40).list_registries)
assert e["ResponseMetadata"]["HTTPStatusCode"] == 403, e
fails("UnrecognizedClientException", client("schemas", "AKIA0000000000000000", "x" * 40).list_registries)
reader = client("schemas", reader_id, reader_secret)
assert reader.describe_schema(RegistryName="shop", SchemaName="shop@OrderPlaced")["SchemaVersion"] == "2"
e = fails("ForbiddenException", reader.create_schema, RegistryName="shop", SchemaName="X", Type="JSONSchemaDraft4", Content=draft4)
assert "registry:write:shop" in e["Error"]["Message"], e
fails("ForbiddenException", reader.describe_registry, RegistryName="page-1")
fails("ForbiddenException", reader.create_discoverer, SourceArn=bus_arn("disc"))

print("ALL OK")
