/**
 * Interrupt requests across threads (src/kernel/interrupts.ts): each is acted on once, and one
 * that stopped no cell covers the execute requests handed to the main thread before it was asked
 * for, which the main thread sees only after acting on it.
 */
import { describe, expect, it } from "vitest";
import { executeHanded, InterruptLedger, requestInterrupt, sigintCaught } from "../../src/kernel/interrupts.js";
import { AttentionFlag, AttentionWord, newAttention } from "../../src/shared_memory/layout.js";

describe("InterruptLedger", () => {
  it("acts once per request and lowers the flag it raised", () => {
    const words = newAttention();
    const ledger = new InterruptLedger(words);
    expect(ledger.takeNew()).toBe(false);
    requestInterrupt(words);
    expect(words[AttentionWord.FLAG]).toBe(AttentionFlag.INTERRUPT);
    expect(ledger.takeNew()).toBe(true);
    expect(ledger.takeNew()).toBe(false);
    expect(words[AttentionWord.FLAG]).toBe(AttentionFlag.NONE);
  });

  it("covers the executes handed over before the interrupt was asked for, not those after", () => {
    const words = newAttention();
    const ledger = new InterruptLedger(words);
    const first = executeHanded(words);
    const second = executeHanded(words);
    requestInterrupt(words);
    const third = executeHanded(words);
    // nothing is covered until the main thread acts on the request, and finds it stopped no cell
    expect(ledger.covered(first)).toBe(false);
    ledger.takeNew();
    expect(ledger.covered(first)).toBe(false);
    ledger.coverUnseen();
    expect([first, second, third].map((n) => ledger.covered(n))).toEqual([true, true, false]);
  });

  it("an interrupt that stopped a cell leaves the executes behind it uncovered, and earlier covers stand", () => {
    const words = newAttention();
    const ledger = new InterruptLedger(words);
    const first = executeHanded(words);
    requestInterrupt(words);
    ledger.takeNew();
    ledger.coverUnseen();
    const second = executeHanded(words);
    requestInterrupt(words);
    ledger.takeNew(); // this one stopped a running cell: no coverUnseen
    expect([first, second].map((n) => ledger.covered(n))).toEqual([true, false]);
  });

  it("a signal caught later covers what was handed by then; an older asker never lowers it", () => {
    const words = newAttention();
    const ledger = new InterruptLedger(words);
    executeHanded(words);
    requestInterrupt(words);
    const later = executeHanded(words);
    sigintCaught(words); // a SIGINT from outside: a request of its own
    ledger.takeNew();
    ledger.coverUnseen();
    expect(ledger.covered(later)).toBe(true);
    // a stale asker's smaller count (it read EXECUTES_HANDED earlier) is not written over a larger one
    words[AttentionWord.EXECUTES_HANDED] = 1;
    requestInterrupt(words);
    ledger.takeNew();
    ledger.coverUnseen();
    expect(ledger.covered(later)).toBe(true);
  });

  it("a signal the kernel sent itself is no new request", () => {
    const words = newAttention();
    const ledger = new InterruptLedger(words);
    requestInterrupt(words);
    words[AttentionWord.SELF_SIGNALS] = 1;
    sigintCaught(words);
    expect(words[AttentionWord.REQUESTS]).toBe(1);
    expect(ledger.takeNew()).toBe(true);
    expect(ledger.takeNew()).toBe(false);
  });
});
