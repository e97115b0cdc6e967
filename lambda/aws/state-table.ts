/**
 * The function's memory in DynamoDB (one item per endpoint, key `endpoint`): the decided memory as one JSON
 * document under a version, and each claim as its own attribute (`p_<id>`), so that settling a claim is an
 * UpdateItem that no later write of the document undoes. Every write is conditional on the version read
 * (compare-and-set): two overlapping runs, or the old and new shard of a re-shard, claim a transition once.
 * Part of the AWS module (lambda/aws): the only code that talks to DynamoDB.
 */
import { BatchGetItemCommand, ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import type { EndpointMemory, Pending } from "../memory/model.js";
import { memoryFrom, storedPart, type MemoryStore, type MemoryWrite, type StoredMemory } from "../memory/store.js";
import { clientConfig, type ClientOverrides } from "./publisher.js";

/** BatchGetItem takes at most 100 keys. */
const MAX_KEYS_PER_BATCH = 100;
/** Rounds of UnprocessedKeys re-asked (the SDK retries whole failed calls, not these). */
const MAX_UNPROCESSED_ROUNDS = 3;
/** An endpoint removed from the registry: its item expires (DynamoDB TTL) this long after its last write. */
export const MEMORY_TTL_DAYS = 90;
const PENDING_PREFIX = "p_";

export const STATE_TABLE_KEY = "endpoint";

function parseItem(item: Record<string, AttributeValue>): EndpointMemory {
  const version = Number(item.version?.N ?? "0");
  const doc = item.memory?.S ? (JSON.parse(item.memory.S) as StoredMemory) : undefined;
  const pending = Object.entries(item)
    .filter(([k, v]) => k.startsWith(PENDING_PREFIX) && v.S)
    .map(([, v]) => JSON.parse(v.S!) as Pending);
  return memoryFrom(doc, version, pending);
}

export class DynamoMemoryStore implements MemoryStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  static create(table: string, overrides: ClientOverrides = {}): DynamoMemoryStore {
    return new DynamoMemoryStore(new DynamoDBClient(clientConfig(overrides)), table);
  }

  async read(names: string[], signal?: AbortSignal): Promise<Map<string, EndpointMemory>> {
    const out = new Map<string, EndpointMemory>();
    const options = signal ? { abortSignal: signal } : {};
    let failure: Error | undefined;
    for (let i = 0; i < names.length; i += MAX_KEYS_PER_BATCH) {
      let keys: Array<Record<string, AttributeValue>> = names.slice(i, i + MAX_KEYS_PER_BATCH).map((n) => ({ [STATE_TABLE_KEY]: { S: n } }));
      const asked = new Set(names.slice(i, i + MAX_KEYS_PER_BATCH));
      try {
        for (let round = 0; keys.length && round < MAX_UNPROCESSED_ROUNDS; round++) {
          const answer = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }), options);
          for (const item of answer.Responses?.[this.table] ?? []) {
            const name = item[STATE_TABLE_KEY]?.S;
            if (name === undefined || !asked.has(name)) continue;
            out.set(name, parseItem(item));
            asked.delete(name);
          }
          keys = answer.UnprocessedKeys?.[this.table]?.Keys ?? [];
          // What was processed and not returned has no item: never told.
          const unprocessed = new Set(keys.map((k) => k[STATE_TABLE_KEY]?.S));
          for (const name of [...asked]) {
            if (unprocessed.has(name)) continue;
            out.set(name, memoryFrom(undefined, 0, []));
            asked.delete(name);
          }
        }
      } catch (err) {
        failure = err instanceof Error ? err : new Error(`BatchGetItem failed: ${JSON.stringify(err)}`);
      }
    }
    // Not one endpoint read: the caller logs the error; endpoints read before a later batch failed are kept.
    if (out.size === 0 && names.length > 0) throw failure ?? new Error("DynamoDB left every key unprocessed");
    return out;
  }

  async write(endpoint: string, { next, claim, drop }: MemoryWrite, signal?: AbortSignal): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {
      ":memory": { S: JSON.stringify(storedPart(next)) },
      ":next": { N: String(next.version + 1) },
      ":at": { S: this.now().toISOString() },
      ":ttl": { N: String(Math.floor(this.now().getTime() / 1000) + MEMORY_TTL_DAYS * 86_400) },
    };
    const sets = ["memory = :memory", "version = :next", "updatedAt = :at", "expiresAt = :ttl"];
    claim.forEach((p, i) => {
      names[`#c${i}`] = PENDING_PREFIX + p.id;
      values[`:c${i}`] = { S: JSON.stringify(p) };
      sets.push(`#c${i} = :c${i}`);
    });
    const removes = drop.map((id, i) => {
      names[`#d${i}`] = PENDING_PREFIX + id;
      return `#d${i}`;
    });
    // DynamoDB refuses names the expressions do not use.
    let condition = "attribute_not_exists(#k)";
    if (next.version === 0) names["#k"] = STATE_TABLE_KEY;
    else {
      values[":expected"] = { N: String(next.version) };
      condition = "version = :expected";
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [STATE_TABLE_KEY]: { S: endpoint } },
          UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
        signal ? { abortSignal: signal } : {},
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  async settle(endpoint: string, id: string, signal?: AbortSignal): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { [STATE_TABLE_KEY]: { S: endpoint } },
        UpdateExpression: "REMOVE #p",
        ConditionExpression: "attribute_exists(#k)",
        ExpressionAttributeNames: { "#p": PENDING_PREFIX + id, "#k": STATE_TABLE_KEY },
      }),
      signal ? { abortSignal: signal } : {},
    );
  }
}
