// Runs every check on its own interval: start offsets spread by a hash of the name, never two
// runs of one check at once, at most `maxConcurrency` runs in flight, lag measured per start.
import type { CheckSpec } from '../config/config.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { MinHeap } from './min-heap.js';

export interface SchedulerDeps {
  clock: Clock;
  maxConcurrency: number;
  /** Runs one check to its result; must not reject (failures are results). */
  run(spec: CheckSpec): Promise<void>;
  /** Called with how late (ms) each run started against its due time. */
  onStart?(spec: CheckSpec, lagMs: number): void;
  /** Called when a due run is skipped because the previous run of that check is still going. */
  onSkip?(spec: CheckSpec): void;
}

export interface Scheduler {
  /** Replaces the set of checks; unchanged checks keep their place in the schedule. */
  setChecks(specs: readonly CheckSpec[]): void;
  start(): void;
  /** Stops starting runs and waits for runs in flight, at most `graceMs`. */
  stop(graceMs: number): Promise<void>;
  inFlight(): number;
}

interface Slot {
  spec: CheckSpec;
  dueAt: number;
  /** Bumped when the check is replaced or removed, so stale heap items are ignored. */
  generation: number;
  removed: boolean;
}

/** A stable offset in [0, interval) from the check's name, so starts are spread. */
export function startOffset(name: string, intervalMs: number): number {
  return (stableHash(name) / 2 ** 32) * intervalMs;
}

/** FNV-1a with murmur3's finalizer: similar names ("check-1", "check-2") land far apart. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { clock } = deps;
  const slots = new Map<string, Slot>();
  const heap = new MinHeap<{ slot: Slot; generation: number }>();
  const ready: Array<{ slot: Slot; dueAt: number }> = [];
  const running = new Set<Promise<void>>();
  // By name, so a check replaced by a reload while it runs is still not started twice.
  const busy = new Set<string>();
  let timer: TimerHandle | undefined;
  let timerAt = Infinity;
  let started = false;
  let stopping = false;

  function enqueue(slot: Slot) {
    heap.push(slot.dueAt, { slot, generation: slot.generation });
    if (started) arm();
  }

  function arm() {
    const next = heap.peekKey();
    if (next === undefined || next >= timerAt) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timerAt = next;
    timer = clock.setTimeout(tick, Math.max(0, next - clock.now()));
  }

  function tick() {
    timer = undefined;
    timerAt = Infinity;
    if (stopping) return;
    const now = clock.now();
    while ((heap.peekKey() ?? Infinity) <= now) {
      const { value } = heap.pop()!;
      const { slot, generation } = value;
      if (slot.removed || generation !== slot.generation) continue;
      const dueAt = slot.dueAt;
      // Fixed rate: the next run is due one interval after this one was due, not after it ends.
      slot.dueAt = dueAt + slot.spec.intervalMs;
      if (slot.dueAt <= now) slot.dueAt = now + slot.spec.intervalMs - ((now - dueAt) % slot.spec.intervalMs);
      heap.push(slot.dueAt, { slot, generation });
      if (busy.has(slot.spec.name)) {
        deps.onSkip?.(slot.spec);
        continue;
      }
      busy.add(slot.spec.name);
      ready.push({ slot, dueAt });
    }
    drain();
    arm();
  }

  function drain() {
    while (ready.length > 0 && running.size < deps.maxConcurrency && !stopping) {
      const { slot, dueAt } = ready.shift()!;
      const name = slot.spec.name;
      if (slot.removed) {
        busy.delete(name);
        continue;
      }
      deps.onStart?.(slot.spec, Math.max(0, clock.now() - dueAt));
      const p: Promise<void> = deps
        .run(slot.spec)
        .catch(() => undefined)
        .finally(() => {
          running.delete(p);
          busy.delete(name);
          drain();
        });
      running.add(p);
    }
  }

  return {
    setChecks(specs) {
      const keep = new Set(specs.map((s) => s.name));
      for (const [name, slot] of slots) {
        if (!keep.has(name)) {
          slot.removed = true;
          slots.delete(name);
        }
      }
      const now = clock.now();
      for (const spec of specs) {
        const old = slots.get(spec.name);
        if (old && old.spec.fingerprint === spec.fingerprint) continue;
        if (old) old.removed = true;
        const slot: Slot = {
          spec,
          dueAt: now + startOffset(spec.name, spec.intervalMs),
          generation: (old?.generation ?? 0) + 1,
          removed: false,
        };
        slots.set(spec.name, slot);
        enqueue(slot);
      }
    },
    start() {
      started = true;
      arm();
    },
    async stop(graceMs) {
      stopping = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      for (const { slot } of ready.splice(0)) busy.delete(slot.spec.name);
      if (running.size === 0) return;
      let graceTimer: TimerHandle | undefined;
      const grace = new Promise<void>((resolve) => {
        graceTimer = clock.setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.allSettled([...running]), grace]);
      if (graceTimer !== undefined) clock.clearTimeout(graceTimer);
    },
    inFlight: () => running.size,
  };
}
