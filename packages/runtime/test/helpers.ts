// Helpers several test files share.
import { expect } from "vitest";
import { BridgeError, type Bridge, type PyRef } from "../src/index.js";

/** Whether the worker still holds the object under the ref's id (asked of the worker: a raw GET on the id). */
export async function workerHolds(bridge: Bridge, ref: PyRef): Promise<boolean> {
  try {
    await bridge.pool.invoke({ op: "get", target: "", ref: ref.id }, { workerId: ref.workerId });
    return true;
  } catch (error) {
    if (error instanceof BridgeError && error.code === "not_found") return false;
    throw error;
  }
}

/** The BridgeError `promise` rejects with (failing the test if it resolves or rejects otherwise). */
export async function rejection(promise: Promise<unknown>): Promise<BridgeError> {
  const error = await promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BridgeError);
  return error as BridgeError;
}
