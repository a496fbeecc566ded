// Golden byte vectors of the value encoding (proto/bridge/v1/value-vectors.json), read by
// this suite and by python/tests/test_value_vectors.py: both codecs decode every vector
// to the value it names and re-encode it to exactly its bytes.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Decoder } from "../src/decoder.js";
import { Encoder } from "../src/encoder.js";
import { PyRef, type RefHost } from "../src/py-ref.js";
import { canonical } from "./canonical.js";
import { fromJson, type TypedJson } from "./value-json.js";

interface Vector {
  name: string;
  value: TypedJson;
  hex: string;
  /** TypeScript's re-encoding when it has no such type (a tuple is an array). */
  ts?: string;
}

const vectors = JSON.parse(readFileSync(new URL("../../../proto/bridge/v1/value-vectors.json", import.meta.url), "utf8")) as Vector[];

const host: RefHost = {
  invokeOnRef: () => Promise.reject(new Error("no worker")),
  releaseRef: () => undefined,
  iterateRef: () => {
    throw new Error("no worker");
  },
};
const ref = (id: string, type: string) => new PyRef(host, "w1", id, type);

describe("golden value vectors", () => {
  it("cover the table", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(70);
  });

  it.each(vectors.map((v) => [v.name, v] as const))("%s", (_name, vector) => {
    const bytes = new Uint8Array(Buffer.from(vector.hex, "hex"));
    const decoded = new Decoder(bytes, [], { ref }).decode();
    expect(canonical(decoded)).toEqual(canonical(fromJson(vector.value, ref)));
    const encoded = new Encoder({}).encode(decoded);
    expect(encoded.buffers).toEqual([]);
    expect(Buffer.from(encoded.data).toString("hex")).toBe(vector.ts ?? vector.hex);
  });
});
