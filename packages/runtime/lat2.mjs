import { createBridge } from "./dist/index.js";
const bridge = await createBridge({ python: "/work/main/python/.venv/bin/python" });
for (let r = 0; r < 6; r++) {
  const N = 5000; const t0 = performance.now();
  for (let i = 0; i < N; i++) await bridge.call("operator.add", [i, 1]);
  console.log(((performance.now() - t0) / N * 1000).toFixed(1), "us/call");
}
await bridge.close();
