// Writes schema/bridge.schema.json from the zod schema. Run with `pnpm generate`;
// test/json-schema.test.ts fails when the committed file is stale.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { manifestJsonSchema } from "@bridge/manifest";

const target = fileURLToPath(new URL("../schema/bridge.schema.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
