/**
 * The benchmark's pool, in its own process so that the measuring process's CPU time is the client's alone.
 * Prints one JSON line {vip, delayedVip, members, ca} and runs until stdin closes.
 */
import { startMember, type RunningMember } from "../lambda/lab/member.js";
import { TestPki } from "../lambda/lab/pki.js";
import { startVip } from "../lambda/lab/vip.js";

const delayMs = Number(process.argv[2] ?? 20);
const BIG_POOL_MEMBERS = 120;
const pki = await TestPki.create();
const cert = await pki.issue({ subject: "CN=bench.pool.test", dns: ["bench.pool.test"] });
const members = await Promise.all([0, 1, 2].map(() => startMember({ certificate: cert })));
const vip = await startVip(members);
const delayedVip = await startVip(members, { delayMs });
// A big pool for the fairness scenario: 120 members with one certificate behind their own VIP.
const big: RunningMember[] = [];
for (let i = 0; i < BIG_POOL_MEMBERS; i++) big.push(await startMember({ certificate: cert }));
const bigVip = await startVip(big);
process.stdout.write(
  JSON.stringify({
    vip: { host: vip.host, port: vip.port },
    delayedVip: { host: delayedVip.host, port: delayedVip.port },
    members: members.map((m) => m.label),
    bigVip: { host: bigVip.host, port: bigVip.port },
    bigMembers: big.map((m) => m.label),
    ca: pki.caPem,
  }) + "\n",
);
process.stdin.resume();
process.stdin.on("end", () => {
  void Promise.all([vip.close(), delayedVip.close(), bigVip.close(), ...members.map((m) => m.close()), ...big.map((m) => m.close())]).then(() =>
    process.exit(0),
  );
});
