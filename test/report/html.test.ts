/**
 * The --html page in a real headless Chromium (Debian's, inside a network namespace: it can reach nothing): the
 * DOM has the strips and the grid, and the screenshot's pixels show them in their colours.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../lambda/cli.js";
import { HTML_COLORS } from "../../lambda/report/html.js";
import { countColor, decodePng } from "../helpers/png.js";

const run = promisify(execFile);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tpm-html-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Chromium headless, no sandbox (root in CI), no GPU, no network: `unshare -n` gives it an empty namespace. */
const chromium = (...args: string[]) =>
  run("unshare", ["-n", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${join(dir, "profile")}`, ...args], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });

describe("the HTML report in Chromium", () => {
  it(
    "demo --html: headline and findings first, chains as coloured strips, the matrix as a coloured grid, certificates side by side",
    { timeout: 120_000 },
    async () => {
      const file = join(dir, "demo.html");
      let stderr = "";
      const code = await runCli(["demo", "--html", file], { stdout: () => undefined, stderr: (t) => (stderr += t) });
      expect(code).toBe(0);
      expect(stderr).toContain(`wrote ${file}`);
      const html = readFileSync(file, "utf8");
      expect(html).not.toMatch(/<script|src=|href=|@import|url\(/i);

      const { stdout: dom } = await chromium("--dump-dom", `file://${file}`);
      const count = (pattern: RegExp) => (dom.match(pattern) ?? []).length;
      // Three chains of eight connections; the first of each is a full handshake, the seven others changed certificate.
      expect(count(/class="conn [a-z]+"/g)).toBe(24);
      expect(count(/class="conn changed"/g)).toBe(21);
      // The grid: two mechanisms × 3 × 3 members, each member resuming only its own sessions.
      expect(count(/class="cell accepted"/g)).toBe(6);
      expect(count(/class="cell refused"/g)).toBe(12);
      expect(count(/<td class="diff">/g)).toBeGreaterThan(0);
      expect(dom.indexOf("<h2>Findings</h2>")).toBeLessThan(dom.indexOf("Resumption through the VIP"));
      expect(dom).toMatch(/<span class="state critical">CRITICAL<\/span> demo-puppetdb: Java clients without endpoint identification can abort/);

      const png = join(dir, "demo.png");
      await chromium("--window-size=1280,2400", "--hide-scrollbars", `--screenshot=${png}`, `file://${file}`);
      const image = decodePng(readFileSync(png));
      expect([image.width, image.height]).toEqual([1280, 2400]);
      // Each strip box is 34 × 34 px and each grid cell bigger: the colours are on the screen, not only in the CSS.
      const box = 34 * 34 * 0.8;
      expect(countColor(image, HTML_COLORS.changed)).toBeGreaterThan(21 * box);
      expect(countColor(image, HTML_COLORS.full)).toBeGreaterThan(3 * box);
      expect(countColor(image, HTML_COLORS.refused)).toBeGreaterThan(12 * box);
      expect(countColor(image, HTML_COLORS.accepted)).toBeGreaterThan(6 * box);
    },
  );
});
