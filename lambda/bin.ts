#!/usr/bin/env node
// `--help` answers from the usage text alone: the probe, analysis and report modules load only for real work.
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h") || args[0] === "help") {
  const { USAGE } = await import("./usage.js");
  process.stdout.write(USAGE + "\n");
} else if (args.includes("--version")) {
  const { versionLine } = await import("./usage.js");
  process.stdout.write(versionLine() + "\n");
} else {
  const { runCli } = await import("./cli.js");
  process.exitCode = await runCli(args, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    // The terminal's width (100 when stdout is a pipe or a file); progress only where a person watches stderr.
    ...(process.stdout.isTTY && process.stdout.columns ? { width: process.stdout.columns } : {}),
    ...(process.stderr.isTTY ? { progress: (text: string) => process.stderr.write(text) } : {}),
  });
}
