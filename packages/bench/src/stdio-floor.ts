import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { CallFn } from "./measure.js";

// The floor: the leanest honest bridge, newline-delimited JSON over a stdio pipe to a
// Python loop calling operator.add. No supervision, no types, no cancellation.
const LOOP = String.raw`
import json, operator, sys
out = sys.stdout
for line in sys.stdin:
    msg = json.loads(line)
    out.write(json.dumps({"id": msg["id"], "result": operator.add(*msg["args"])}) + "\n")
    out.flush()
`;

/** Starts the stdio floor; returns its call function and a closer. */
export function startStdioFloor(python: string): { call: CallFn; close: () => void } {
  const child = spawn(python, ["-u", "-c", LOOP], { stdio: ["pipe", "pipe", "inherit"] });
  const pending = new Map<number, (value: unknown) => void>();
  let nextId = 0;
  createInterface({ input: child.stdout }).on("line", (line) => {
    const msg = JSON.parse(line) as { id: number; result: unknown };
    pending.get(msg.id)?.(msg.result);
    pending.delete(msg.id);
  });
  return {
    call: (a, b) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ id, args: [a, b] })}\n`);
      }),
    close: () => child.kill(),
  };
}
