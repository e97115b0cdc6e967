/** Files a user names: anything that is not a small regular file is a clear error naming it, at once. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../lambda/cli.js";
import { MAX_REGISTRY_BYTES } from "../../lambda/registry/files.js";
import { loadRegistryFile } from "../../lambda/registry/load.js";
import { TestPki } from "../helpers/pool.js";

let dir: string;
let caPem: string;
let keyPem: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tpm-input-"));
  const pki = await TestPki.create();
  caPem = pki.caPem;
  keyPem = (await pki.issue({ subject: "CN=x" })).keyPem;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const registryWith = (endpoint: Record<string, unknown>) => JSON.stringify({ endpoints: [{ name: "e", host: "127.0.0.1", discover: "none", ...endpoint }] });
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const firstError = (file: string) => loadRegistryFile(file).errors[0]?.message ?? "";

describe("the registry file", () => {
  it.each([
    ["/dev/zero", () => "/dev/zero", /\/dev\/zero: not a regular file \(a device\)/],
    ["a directory", () => dir, /not a regular file \(a directory\)/],
    [
      "a FIFO (no writer: must not hang)",
      () => {
        const fifo = join(dir, "fifo");
        execFileSync("mkfifo", [fifo]);
        return fifo;
      },
      /not a regular file \(a FIFO\)/,
    ],
    [
      "a file over the size cap",
      () => {
        const big = join(dir, "big.json");
        writeFileSync(big, "");
        truncateSync(big, MAX_REGISTRY_BYTES + 1);
        return big;
      },
      /more than the \d+ allowed/,
    ],
  ])("%s: refused, naming the file", { timeout: 5_000 }, (_name, make, message) => {
    const file = make();
    expect(firstError(file)).toMatch(message);
    expect(firstError(file)).toContain(file);
  });

  it("a file that is not JSON: where, never what (its content is not echoed)", () => {
    const file = write("shadow", "root:$6$secrethash:19000:0:99999:7:::\n");
    const message = firstError(file);
    expect(message).toMatch(/not valid JSON/);
    expect(message).not.toContain("secrethash");
    expect(message).not.toContain("root:");
  });

  it("a UTF-8 byte order mark is accepted", () => {
    const file = write("bom.json", `\uFEFF${registryWith({})}`);
    const load = loadRegistryFile(file);
    expect(load.errors).toEqual([]);
    expect(load.endpoints.map((e) => e.name)).toEqual(["e"]);
  });
});

describe("a registry's ca file", () => {
  it("a PEM holding a private key beside the certificate (HAProxy style) is refused, naming the block", () => {
    write("combined.pem", `${caPem}\n${keyPem}`);
    const message = firstError(write("r1.json", registryWith({ ca: "combined.pem" })));
    expect(message).toMatch(/endpoint endpoints\[0\] \("e"\): ca: holds a PRIVATE KEY block/);
  });

  it("for synth and the function (bundled): absolute paths, ../ and symlinks out of the registry's folder are refused; a file inside is read and listed", () => {
    const inner = join(dir, "inner");
    mkdirSync(inner, { recursive: true });
    writeFileSync(join(dir, "outside.pem"), caPem);
    writeFileSync(join(inner, "root.pem"), caPem);
    symlinkSync(join(dir, "outside.pem"), join(inner, "link.pem"));
    const registry = (ca: string) => {
      const file = join(inner, "registry.json");
      writeFileSync(file, registryWith({ ca }));
      return loadRegistryFile(file);
    };
    expect(registry(join(dir, "outside.pem")).errors[0]!.message).toMatch(/absolute paths are not bundled/);
    expect(registry("../outside.pem").errors[0]!.message).toMatch(/resolves outside the registry's folder/);
    expect(registry("link.pem").errors[0]!.message).toMatch(/resolves outside the registry's folder/);
    const ok = registry("root.pem");
    expect(ok.errors).toEqual([]);
    expect(ok.caFiles).toEqual([join(inner, "root.pem")]);
  });

  it("for the CLI: an absolute path, ../ and a symlink out of the registry's folder are read (the operator's own files)", () => {
    const inner = join(dir, "cli");
    mkdirSync(inner, { recursive: true });
    const outside = mkdtempSync(join(tmpdir(), "tpm-outside-"));
    writeFileSync(join(outside, "ca.pem"), caPem);
    symlinkSync(join(outside, "ca.pem"), join(inner, "link.pem"));
    const registry = (ca: string) => {
      const file = join(inner, "registry.json");
      writeFileSync(file, registryWith({ ca }));
      return loadRegistryFile(file, { reader: "cli" });
    };
    for (const ref of [join(outside, "ca.pem"), relative(inner, join(outside, "ca.pem")), "link.pem"]) {
      const load = registry(ref);
      expect(load.errors, ref).toEqual([]);
      expect(load.endpoints[0]!.ca, ref).toBe(caPem);
    }
    // The same checks as inside: a device is refused at once, naming the file.
    expect(registry("/dev/zero").errors[0]!.message).toMatch(/ca: \/dev\/zero: not a regular file \(a device\)/);
    rmSync(outside, { recursive: true, force: true });
  });

  it("/dev/zero as ca: refused at once", { timeout: 5_000 }, () => {
    const message = firstError(write("r2.json", registryWith({ ca: "zero" })));
    expect(message).toMatch(/ca: cannot read CA file .*zero: ENOENT/);
    symlinkSync("/dev/zero", join(dir, "zero"));
    expect(firstError(join(dir, "r2.json"))).toMatch(/ca: CA file zero resolves outside the registry's folder/);
  });
});

describe("the CLI's --ca", () => {
  const cli = async (...argv: string[]) => {
    let stderr = "";
    const code = await runCli(argv, { stdout: () => undefined, stderr: (t) => (stderr += t) });
    return { code, stderr };
  };

  it("/dev/zero: exit 2 naming it", { timeout: 5_000 }, async () => {
    const { code, stderr } = await cli("probe", "127.0.0.1:1", "--no-dns", "--ca", "/dev/zero");
    expect(code).toBe(2);
    expect(stderr).toContain("--ca: /dev/zero: not a regular file (a device)");
  });

  it("a file without a certificate says exactly that", async () => {
    const { code, stderr } = await cli("probe", "127.0.0.1:1", "--no-dns", "--ca", write("empty.pem", "hello\n"));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--ca .*empty\.pem: holds no PEM certificate/);
  });
});

describe("duplicate keys", () => {
  it("a key given twice in one object is refused with where; the same key in two objects is fine", () => {
    const file = write(
      "dup.json",
      '{"endpoints": [\n  {"name": "a", "host": "127.0.0.1", "attempts": 2, "attempts": 50},\n  {"name": "b", "host": "127.0.0.1"}\n]}',
    );
    expect(firstError(file)).toMatch(/duplicate key "attempts" at line 2, column \d+/);
    const fine = write("nodup.json", '{"endpoints": [{"name": "a", "host": "127.0.0.1", "note": "x\\": y"}, {"name": "b", "host": "127.0.0.1"}]}');
    expect(
      loadRegistryFile(fine)
        .errors.map((e) => e.message)
        .join(),
    ).not.toMatch(/duplicate/);
  });
});
