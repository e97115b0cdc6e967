/**
 * Where the memory lives. Two stores keep it with the same semantics: the function's DynamoDB table
 * (lambda/aws/state-table.ts) and the CLI's history file (history-file.ts). A write lands only if the stored
 * version is the one the decision was made from (compare-and-set), so of two runs deciding the same transition one
 * claims it and the other sends nothing. Claims are kept apart from the rest, each under its id, so that a claim
 * confirmed sent (settled) is never brought back by a later write of the rest.
 */
import { EMPTY_MEMORY, type EndpointMemory, type Pending } from "./model.js";

export interface MemoryWrite {
  /** The memory as decided, `version` being the one read. */
  next: EndpointMemory;
  /** Claims to store (new ones, and retried ones with their new deadline). */
  claim: Pending[];
  /** Claims to remove (superseded or given up). */
  drop: string[];
}

export interface MemoryStore {
  /**
   * Each endpoint's memory (EMPTY_MEMORY when it has none). An endpoint missing from the map could not be read
   * (unknown: nothing is decided for it this run); a failure that leaves every endpoint unknown throws.
   */
  read(names: string[], signal?: AbortSignal): Promise<Map<string, EndpointMemory>>;
  /** Compare-and-set on `next.version`; false when another run wrote first (this run then publishes nothing). */
  write(endpoint: string, write: MemoryWrite, signal?: AbortSignal): Promise<boolean>;
  /** A claim SNS took: removed, whatever was written since. */
  settle(endpoint: string, id: string, signal?: AbortSignal): Promise<void>;
}

/** The part of the memory stored as one document (claims are stored beside it, one each). */
export type StoredMemory = Omit<EndpointMemory, "version" | "pending">;

export function storedPart(m: EndpointMemory): StoredMemory {
  const { version: _version, pending: _pending, ...rest } = m;
  return rest;
}

/** A memory from its stored document (or none), its version and its claims; unknown fields are dropped. */
export function memoryFrom(doc: Partial<StoredMemory> | undefined, version: number, pending: Pending[]): EndpointMemory {
  if (!doc) return { ...EMPTY_MEMORY, pending };
  return {
    version,
    ...(doc.told ? { told: doc.told } : {}),
    ...(doc.toldAt ? { toldAt: doc.toldAt } : {}),
    observed: Array.isArray(doc.observed) ? doc.observed : [],
    timeline: Array.isArray(doc.timeline) ? doc.timeline : [],
    ...(doc.rollout ? { rollout: doc.rollout } : {}),
    ...(typeof doc.javaRiskRuns === "number" ? { javaRiskRuns: doc.javaRiskRuns } : {}),
    ...(typeof doc.toldJavaRisk === "boolean" ? { toldJavaRisk: doc.toldJavaRisk } : {}),
    pending,
  };
}
