/** The function's log lines under Lambda's JSON log format (set by the construct) and under the text format. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonLogger } from "../lambda/monitor.js";

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.AWS_LAMBDA_LOG_FORMAT;
});

describe("jsonLogger", () => {
  it("JSON log format: each line one object, through the console method of its level (Lambda's level, which the application log level filters)", () => {
    process.env.AWS_LAMBDA_LOG_FORMAT = "JSON";
    const calls: Array<[string, unknown[]]> = [];
    for (const method of ["info", "warn", "error", "debug", "log"] as const)
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void calls.push([method, args]));
    const divergent = { level: "warn", msg: "endpoint", endpoint: "puppetdb", state: "divergent" };
    jsonLogger(divergent);
    jsonLogger({ level: "error", msg: "endpoint", endpoint: "api", finished: false });
    jsonLogger({ level: "info", msg: "run", probed: 2 });
    expect(calls.map(([m]) => m)).toEqual(["warn", "error", "info"]);
    // The object itself, not a string: Lambda nests it as `message` (message.endpoint in Logs Insights).
    expect(calls[0]![1]).toEqual([divergent]);
  });

  it("text format (no AWS_LAMBDA_LOG_FORMAT): one JSON string per line on stdout", () => {
    const lines: unknown[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(line));
    jsonLogger({ level: "warn", msg: "endpoint", endpoint: "puppetdb" });
    expect(lines).toEqual(['{"level":"warn","msg":"endpoint","endpoint":"puppetdb"}']);
  });
});
