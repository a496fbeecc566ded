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
    "(obj, *, skipkeys = False, ensure_ascii = True, check_circular = True, allow_nan = True, cls = None, indent = None, separators = None, default = None, sort_keys = False, **kw) -> ?",
  );
  expect(apiSurface(json).get("json.JSONDecoder.decode")).toBe("(s, _w = WHITESPACE.match) -> ?");
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
  expect(changes[0]!.before).toContain("sort_keys = False");
  expect(changes[0]!.after).not.toContain("sort_keys");
  expect(diffApi(json, json)).toEqual([]);
});

it("refuses a descriptor schema it cannot read", async () => {
  const fake = { describe: async () => ({ descriptorJson: "{}", schemaVersion: 99 }) };
  await expect(describeModule(fake, "json")).rejects.toThrow(/descriptor schema 99/);
});
