/**
 * The CLI's memory: a JSON file (`--history FILE`), so that a cron user gets what the function keeps in its table
 * (the rotation timeline, announcements decided once). Written whole to a temporary file and renamed, so that a
 * crash leaves the previous file; the compare-and-set re-reads the file, so that two CLI runs on one file do not
 * both claim a transition.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { EMPTY_MEMORY, type EndpointMemory, type Pending } from "./model.js";
import { memoryFrom, storedPart, type MemoryStore, type MemoryWrite, type StoredMemory } from "./store.js";

const FORMAT = "tls-pool-monitor history 1";

interface HistoryDocument {
  format: typeof FORMAT;
  endpoints: Record<string, { version: number; memory: StoredMemory; pending: Record<string, Pending> }>;
}

export class HistoryFile implements MemoryStore {
  constructor(private readonly path: string) {}

  private load(): HistoryDocument {
    if (!existsSync(this.path)) return { format: FORMAT, endpoints: {} };
    let doc: Partial<HistoryDocument>;
    try {
      doc = JSON.parse(readFileSync(this.path, "utf8")) as Partial<HistoryDocument>;
    } catch (err) {
      throw new Error(`${this.path}: not a history file (${(err as Error).message})`);
    }
    if (doc.format !== FORMAT || typeof doc.endpoints !== "object" || doc.endpoints === null)
      throw new Error(`${this.path}: not a history file (format is not "${FORMAT}")`);
    return doc as HistoryDocument;
  }

  private save(doc: HistoryDocument): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(doc, null, 1)}\n`);
    renameSync(temporary, this.path);
  }

  // The file is read and written synchronously (small, local); the store contract is asynchronous, and a failure
  // is a rejected promise, as the table's.
  read(names: string[]): Promise<Map<string, EndpointMemory>> {
    return Promise.resolve().then(() => this.readNow(names));
  }

  write(endpoint: string, write: MemoryWrite): Promise<boolean> {
    return Promise.resolve().then(() => this.writeNow(endpoint, write));
  }

  settle(endpoint: string, id: string): Promise<void> {
    return Promise.resolve().then(() => this.settleNow(endpoint, id));
  }

  private readNow(names: string[]): Map<string, EndpointMemory> {
    const doc = this.load();
    const out = new Map<string, EndpointMemory>();
    for (const name of names) {
      const e = doc.endpoints[name];
      out.set(name, e ? memoryFrom(e.memory, e.version, Object.values(e.pending)) : { ...EMPTY_MEMORY });
    }
    return out;
  }

  private writeNow(endpoint: string, { next, claim, drop }: MemoryWrite): boolean {
    const doc = this.load();
    const current = doc.endpoints[endpoint];
    if ((current?.version ?? 0) !== next.version) return false;
    const pending = { ...(current?.pending ?? {}) };
    for (const id of drop) delete pending[id];
    for (const p of claim) pending[p.id] = p;
    doc.endpoints[endpoint] = { version: next.version + 1, memory: storedPart(next), pending };
    this.save(doc);
    return true;
  }

  private settleNow(endpoint: string, id: string): void {
    const doc = this.load();
    const e = doc.endpoints[endpoint];
    if (e?.pending[id]) {
      delete e.pending[id];
      this.save(doc);
    }
  }
}
