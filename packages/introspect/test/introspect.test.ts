import { afterAll, beforeAll, expect, it } from "vitest";
import { createBridge, type Bridge } from "@bridge/runtime";
import type { DescriptorDocument, FunctionDescriptor } from "@bridge/codegen";
import { apiSurface, describeModule, diffApi, renderSignature } from "../src/index.js";

let bridge: Bridge;
let json: DescriptorDocument;
beforeAll(async () => {
  bridge = await createBridge();
  json = await describeModule(bridge.pool, "json");
});
afterAll(() => bridge?.close());

it("describes a module through a real worker (schema 1)", () => {
  expect(json.schema_version).toBe(1);
  expect(json.modules[0]!.name).toBe("json");
  const names = json.modules[0]!.members.map((m) => m.name);
  expect(names).toEqual(expect.arrayContaining(["dumps", "loads", "JSONDecoder", "JSONDecodeError"]));
});

it("renders Python-like signatures for humans", () => {
  const dumps = json.modules[0]!.members.find((m) => m.name === "dumps") as FunctionDescriptor;
  expect(renderSignature(dumps)).toBe(
    "(obj: Any, *, skipkeys: bool = False, ensure_ascii: bool = True, check_circular: bool = True, allow_nan: bool = True, cls: type[json.encoder.JSONEncoder] | None = None, indent: None | int | str = None, separators: tuple[str, str] | None = None, default: Callable[[Any], Any] | None = None, sort_keys: bool = False, **kw: Any) -> str",
  );
  expect(apiSurface(json).get("json.JSONDecoder.decode")).toBe("(s: str, _w: Callable[..., Any] = WHITESPACE.match) -> Any");
});

it("diffs added, removed and changed signatures", () => {
  const after = structuredClone(json);
  const members = after.modules[0]!.members;
  const dumps = members.find((m) => m.name === "dumps") as FunctionDescriptor;
  dumps.params = dumps.params.filter((p) => p.name !== "sort_keys");
  after.modules[0]!.members = members.filter((m) => m.name !== "load");
  after.modules[0]!.members.push({ ...dumps, name: "dumps2", qualname: "json.dumps2" });
  const changes = diffApi(json, after);
  expect(changes.map((c) => [c.kind, c.path])).toEqual([
    ["changed", "json.dumps"],
    ["added", "json.dumps2"],
    ["removed", "json.load"],
  ]);
  expect(changes[0]!.before).toContain("sort_keys: bool = False");
  expect(changes[0]!.after).not.toContain("sort_keys");
  expect(diffApi(json, json)).toEqual([]);
});

it("refuses a descriptor schema it cannot read", async () => {
  const fake = { describe: () => Promise.resolve({ descriptorJson: "{}", schemaVersion: 99 }) };
  await expect(describeModule(fake, "json")).rejects.toThrow(/descriptor schema 99/);
});

it("the agent fingerprint names the worker version and hashes the agent's code", async () => {
  const { agentFingerprint } = await import("../src/index.js");
  expect(agentFingerprint()).toMatch(/^0\.1\.0\+[0-9a-f]{12}$/);
});
