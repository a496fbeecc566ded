import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PyObject, PyRef, createBridge, wrapAs, type Bridge, type CallOptions } from "../src/index.js";

const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

/** What a generated class looks like. */
class Account extends PyObject<"bridge_fixtures.Account"> {
  deposit(amount: number, options?: CallOptions): Promise<number> {
    return this.$call("deposit", [amount], {}, options);
  }
  get balance(): Promise<number> {
    return this.$get("balance");
  }
}

let bridge: Bridge;
beforeAll(async () => {
  bridge = await createBridge({ env: { PYTHONPATH: fixtures } });
});
afterAll(() => bridge?.close());

it("registered classes arrive as their generated class, nested ones too, and travel back as refs", async () => {
  const bare = await bridge.call("bridge_fixtures.Account", ["before"]);
  expect(bare).toBeInstanceOf(PyRef);
  bridge.registerClass("bridge_fixtures.Account", Account);
  const account = await bridge.call<Account>("bridge_fixtures.Account", ["ada"], { balance: 1 });
  expect(account).toBeInstanceOf(Account);
  expect(await account.deposit(2)).toBe(3);
  expect(await account.balance).toBe(3);
  const nested = await bridge.call<{ args: Account[] }>("bridge_fixtures.echo_args", [account]);
  expect(nested.args[0]).toBeInstanceOf(Account);
  expect(await bridge.call("bridge_fixtures.same", [account, account.ref])).toBe(true);
  expect(wrapAs(Account, bare)).toBeInstanceOf(Account);
  expect(String(account)).toMatch(/^Account<bridge_fixtures\.Account r\S+@w1>$/);
  await account.release();
  expect(account.ref.released).toBe(true);
});
