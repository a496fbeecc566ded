import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const dir = fileURLToPath(new URL("..", import.meta.url));

it("the quickstart tour runs and prints what its comments promise", async () => {
  const { stdout } = await run(process.execPath, ["--conditions=@bridge/source", "--import", "tsx", "src/main.ts"], {
    cwd: dir,
    timeout: 60_000,
  });
  expect(stdout).toMatch(/^Python 3\.\d+\.\d+ workers: w1 \(pid \d+\), w2 \(pid \d+\)$/m);
  expect(stdout).toContain("math.sqrt(2)            = 1.4142135623730951");
  expect(stdout).toContain("sorted(..., reverse=True) = [ 3, 2, 1 ]");
  expect(stdout).toContain("statistics.mean         = 2.5");
  expect(stdout).toContain("math.factorial(25)      = 15511210043330985984000000n (a bigint)");
  expect(stdout).toContain("PyRef<collections.Counter");
  expect(stdout).toContain("[ [ 'a', 5 ], [ 'b', 2 ] ]");
  expect(stdout).toContain("json.loads raised json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes");
  expect(stdout).toContain("time.sleep(1) with a 50 ms deadline -> [deadline_exceeded]");
  expect(stdout).toMatch(/10,000 concurrent operator\.add calls in \d+ ms \([\d,]+ calls\/s\); last = 10000/);
});
