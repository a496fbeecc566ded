import { createPool } from "@bridge/pool";
const pool = await createPool({ python: "/work/main/python/.venv/bin/python", heartbeatMs: 0 });
const args = { data: new Uint8Array([0x92, 0x92, 0x02, 0x03, 0x80]), buffers: [] };
for (let r = 0; r < 3; r++) {
  const N = 3000; const t0 = performance.now();
  for (let i = 0; i < N; i++) await pool.invoke({ op: "call", target: "operator.add", args });
  console.log(((performance.now() - t0) / N * 1000).toFixed(1), "us/call");
}
await pool.close();
