/**
 * The processes cells started (`child_process.spawn`, `exec`, a package's helper binary) end with
 * the kernel: on shutdown they get SIGTERM, and SIGKILL if they are still there a moment later,
 * as ipykernel does with its children. Without this a restart leaves every such process running
 * as an orphan, holding its ports and files.
 *
 * Only descendants in the kernel's own process group are ended: a process that went into a
 * group of its own (`spawn(..., { detached: true })`, a daemon) asked to outlive the kernel.
 * Linux reads /proc; other POSIX systems ask `ps`; Windows has no process groups to go by, and
 * nothing is done there.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";

interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  /** Exited but not reaped yet: nothing left to end. */
  zombie: boolean;
}

/** Every process of the machine we can see. */
function processTable(): ProcessEntry[] {
  if (process.platform === "win32") return [];
  return process.platform === "linux" ? fromProc() : fromPs();
}

function fromProc(): ProcessEntry[] {
  const table: ProcessEntry[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    table.push({ pid: Number(name), ppid: Number(fields[1]), pgid: Number(fields[2]), zombie: fields[0] === "Z" });
  }
  return table;
}

function fromPs(): ProcessEntry[] {
  let out: string;
  try {
    out = execFileSync("ps", ["-A", "-o", "pid=,ppid=,pgid=,stat="], { encoding: "latin1", timeout: 2000 });
  } catch {
    return [];
  }
  return out.split("\n").flatMap((line) => {
    const [pid, ppid, pgid, stat] = line.trim().split(/\s+/);
    return pid && ppid && pgid
      ? [{ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), zombie: stat?.startsWith("Z") === true }]
      : [];
  });
}

/** Live descendants of this process that are in its process group. */
export function kernelChildren(table: ProcessEntry[] = processTable()): number[] {
  const self = table.find((p) => p.pid === process.pid);
  if (!self) return [];
  const byParent = new Map<number, ProcessEntry[]>();
  for (const p of table) {
    const siblings = byParent.get(p.ppid);
    if (siblings) siblings.push(p);
    else byParent.set(p.ppid, [p]);
  }
  const found: number[] = [];
  const pending = [process.pid];
  while (pending.length > 0) {
    for (const child of byParent.get(pending.pop()!) ?? []) {
      pending.push(child.pid);
      if (child.pgid === self.pgid && !child.zombie) found.push(child.pid);
    }
  }
  return found;
}

/** Taken at load, before any cell runs: a cell may replace `process.kill`. */
const kill = process.kill.bind(process);

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      kill(pid, sig);
    } catch {
      // already gone, or not ours to signal
    }
  }
}

/**
 * SIGTERM every child, then SIGKILL those still alive after `graceMs`. Resolves with how many
 * there were. A grandchild whose parent exits is reparented away from us: so the set is taken
 * once, before any signal, and followed by pid.
 */
export async function endChildren(graceMs = 1000): Promise<number> {
  const pids = kernelChildren();
  if (pids.length === 0) return 0;
  signal(pids, "SIGTERM");
  const deadline = Date.now() + graceMs;
  let left = pids;
  for (let wait = 10; left.length > 0 && Date.now() < deadline; wait = Math.min(wait * 3, 200)) {
    await sleep(wait);
    const live = new Set(
      processTable()
        .filter((p) => !p.zombie)
        .map((p) => p.pid),
    );
    left = left.filter((pid) => live.has(pid));
  }
  signal(left, "SIGKILL");
  return pids.length;
}

/** SIGKILL every child at once: the last resort, when the kernel must end now. */
export function killChildren(): void {
  signal(kernelChildren(), "SIGKILL");
}
