import { createBridge } from "@bridge/runtime";
const bridge = await createBridge({ python: "/work/main/python/.venv/bin/python" });
for (let r = 0; r < 4; r++) {
  const N = 5000; const t0 = performance.now();
  for (let i = 0; i < N; i++) await bridge.call("operator.add", [i, 1]);
  console.log(((performance.now() - t0) / N * 1000).toFixed(1), "us/call");
}
for (let r = 0; r < 3; r++) {
const t = performance.now(); await Promise.all(Array.from({ length: 64000 }, (_, i) => bridge.call("operator.add", [i, 1])));
console.log("par", (64000 / ((performance.now() - t) / 1000)).toFixed(0), "calls/s");
}
await bridge.close();
