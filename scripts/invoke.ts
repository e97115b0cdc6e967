/**
 * `npm run invoke -- <registry.json> [--shard N --shards M] [--timeout-seconds S]`: runs the Lambda handler once,
 * locally, with the real SDK clients (AWS_REGION, AWS_ENDPOINT_URL[_CLOUDWATCH|_SNS|_DYNAMODB], ALERT_TOPIC_ARN and
 * STATE_TABLE, the memory's table, apply).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { shard: { type: "string" }, shards: { type: "string" }, "timeout-seconds": { type: "string" } },
});
if (positionals.length !== 1) {
  console.error("usage: npm run invoke -- <registry.json> [--shard N --shards M] [--timeout-seconds S]");
  process.exit(2);
}
process.env.REGISTRY_FILE = resolve(positionals[0]!);
process.env.AWS_REGION ??= "us-east-1";
const { handler } = await import("../lambda/handler.js");
const deadline = Date.now() + Number(values["timeout-seconds"] ?? 300) * 1000;
const event = values.shards ? { shard: Number(values.shard ?? 0), shards: Number(values.shards) } : {};
const summary = await handler(event, { getRemainingTimeInMillis: () => deadline - Date.now() });
console.error(JSON.stringify(summary, null, 2));
