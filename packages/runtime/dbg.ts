import { createBridge } from "@bridge/runtime";
const bridge = await createBridge({ python: "/work/main/python/.venv/bin/python", env: { PYTHONPATH: "/work/main/python/tests/support" }, onEvent: (e) => console.log("event", e.type, (e as any).reason ?? "", (e as any).silentMs ?? "") });
for (const [m, d] of [["math",0],["json",0],["statistics",0],["difflib",0],["bridge_typed_fixture",1],["bridge_fidelity_fixture",0],["bridge_typed_fixture",1]] as const) {
  const t = performance.now();
  try {
    const r = await bridge.pool.describe({ module: m, depth: d });
    console.log("ok", m, r.descriptorJson.length, (performance.now()-t).toFixed(0), "ms");
  } catch (e) { console.log("err", m, String(e).slice(0,300)); }
}
await bridge.close();
