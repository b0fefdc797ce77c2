// The AWS SDK for JavaScript v3 (pinned by package-lock.json) against a real
// `schemabus serve --aws-listen`: EventBridge, Schemas and SQS clients as a Node service
// would use them, unchanged but for the endpoint. Run by tests/api/aws_js.rs, which sets
// ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and ACCOUNT, and has
// bound bus `js-orders` to registry `js` (validation enforce) through the native API
// after this script's first step. Prints one JSON line per check; exits 1 on a failure.
import {
  EventBridgeClient, CreateEventBusCommand, PutRuleCommand, PutTargetsCommand,
  PutEventsCommand, ListRulesCommand, DescribeEventBusCommand,
} from "@aws-sdk/client-eventbridge";
import {
  SchemasClient, CreateRegistryCommand, CreateSchemaCommand, DescribeSchemaCommand,
  ListSchemasCommand,
} from "@aws-sdk/client-schemas";
import {
  SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand,
  DeleteMessageCommand, SendMessageCommand,
} from "@aws-sdk/client-sqs";

const endpoint = process.env.ENDPOINT;
const account = process.env.ACCOUNT;
const region = process.env.AWS_REGION;
const step = process.argv[2];
const config = { endpoint, region };
const events = new EventBridgeClient(config);
const schemas = new SchemasClient(config);
const sqs = new SQSClient(config);

const failures = [];
function check(name, ok, detail) {
  console.log(JSON.stringify({ check: name, ok: Boolean(ok), detail }));
  if (!ok) failures.push(name);
}

async function setup() {
  const bus = await events.send(new CreateEventBusCommand({ Name: "js-orders" }));
  check("CreateEventBus answers the bus ARN", bus.EventBusArn === `arn:aws:events:${region}:${account}:event-bus/js-orders`, bus.EventBusArn);
  await schemas.send(new CreateRegistryCommand({ RegistryName: "js", Description: "from the JS SDK" }));
  const content = JSON.stringify({
    $schema: "http://json-schema.org/draft-04/schema#",
    type: "object",
    required: ["id"],
    properties: { id: { type: "integer" } },
  });
  const schema = await schemas.send(new CreateSchemaCommand({
    RegistryName: "js", SchemaName: "shop@OrderPlaced", Type: "JSONSchemaDraft4", Content: content,
  }));
  check("CreateSchema answers version 1", schema.SchemaVersion === "1", schema.SchemaVersion);
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: "js-orders-queue" }));
  check("CreateQueue answers a queue URL", queue.QueueUrl?.endsWith(`/${account}/js-orders-queue`), queue.QueueUrl);
  await events.send(new PutRuleCommand({
    Name: "placed", EventBusName: "js-orders",
    EventPattern: JSON.stringify({ source: ["shop"], "detail-type": ["OrderPlaced"] }),
  }));
  const targets = await events.send(new PutTargetsCommand({
    Rule: "placed", EventBusName: "js-orders",
    Targets: [{ Id: "q", Arn: `arn:aws:sqs:${region}:${account}:js-orders-queue` }],
  }));
  check("PutTargets with an SQS ARN", targets.FailedEntryCount === 0, targets.FailedEntries);
}

async function traffic() {
  const described = await schemas.send(new DescribeSchemaCommand({ RegistryName: "js", SchemaName: "shop@OrderPlaced" }));
  check("DescribeSchema gives the content back", JSON.parse(described.Content).properties.id.type === "integer", described.Type);
  const listed = await schemas.send(new ListSchemasCommand({ RegistryName: "js" }));
  check("ListSchemas lists it", listed.Schemas?.some((s) => s.SchemaName === "shop@OrderPlaced"), listed.Schemas);
  const bus = await events.send(new DescribeEventBusCommand({ Name: "js-orders" }));
  check("DescribeEventBus", bus.Name === "js-orders", bus);
  const rules = await events.send(new ListRulesCommand({ EventBusName: "js-orders" }));
  check("ListRules", rules.Rules?.length === 1 && rules.Rules[0].Name === "placed", rules.Rules);

  const put = await events.send(new PutEventsCommand({
    Entries: [
      { Source: "shop", DetailType: "OrderPlaced", Detail: JSON.stringify({ id: 7 }), EventBusName: "js-orders" },
      { Source: "shop", DetailType: "OrderPlaced", Detail: JSON.stringify({ id: "seven" }), EventBusName: "js-orders" },
    ],
  }));
  check("PutEvents: one accepted, one refused", put.FailedEntryCount === 1 && put.Entries[0].EventId, put.Entries);
  check(
    "the refused entry names the contract and the pointer",
    put.Entries[1].ErrorCode === "SchemaValidationFailed" && put.Entries[1].ErrorMessage.includes("/id"),
    put.Entries[1],
  );

  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-orders-queue" }));
  // The SDK checks MD5OfBody on receive and MD5OfMessageBody/Attributes on send itself.
  const received = await sqs.send(new ReceiveMessageCommand({
    QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, MessageSystemAttributeNames: ["ApproximateReceiveCount"],
  }));
  const messages = received.Messages ?? [];
  const envelope = messages.length === 1 ? JSON.parse(messages[0].Body) : {};
  check("the routed event arrives in the queue as the EventBridge envelope",
    messages.length === 1 && envelope.source === "shop" && envelope["detail-type"] === "OrderPlaced" && envelope.detail.id === 7,
    messages.map((m) => m.Body));
  if (messages.length === 1) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: messages[0].ReceiptHandle }));
  }
  const sent = await sqs.send(new SendMessageCommand({
    QueueUrl, MessageBody: "hello from node",
    MessageAttributes: { kind: { DataType: "String", StringValue: "greeting" } },
  }));
  check("SendMessage with attributes (MD5s verified by the SDK)", Boolean(sent.MessageId), sent.MD5OfMessageAttributes);
  const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5, MessageAttributeNames: ["All"] }));
  const hello = again.Messages?.[0];
  check("the sent message comes back with its attribute",
    hello?.Body === "hello from node" && hello?.MessageAttributes?.kind?.StringValue === "greeting", hello);
  if (hello) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: hello.ReceiptHandle }));
  }
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
  check("the queue is empty after the deletes", attributes.Attributes?.ApproximateNumberOfMessages === "0", attributes.Attributes);

  const wrong = new EventBridgeClient({ ...config, credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: "wrong".repeat(8) } });
  try {
    await wrong.send(new DescribeEventBusCommand({ Name: "js-orders" }));
    check("a wrong secret is refused", false, "accepted");
  } catch (e) {
    check("a wrong secret is refused", e.name === "InvalidSignatureException", e.name);
  }
}

try {
  if (step === "setup") await setup();
  else await traffic();
} catch (e) {
  check(`no unexpected error (${step})`, false, `${e.name}: ${e.message}`);
}
process.exit(failures.length === 0 ? 0 : 1);
