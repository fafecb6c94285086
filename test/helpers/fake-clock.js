/** Lets pending promise callbacks and I/O callbacks run. */
export async function settle(rounds = 5) {
    for (let i = 0; i < rounds; i++)
        await new Promise((r) => setImmediate(r));
}
export function createFakeClock(start = Date.UTC(2026, 0, 1)) {
    let now = start;
    let nextId = 1;
    const timers = new Map();
    return {
        now: () => now,
        setTimeout(fn, ms) {
            const id = nextId++;
            timers.set(id, { id, at: now + Math.max(0, ms), fn });
            return { id };
        },
        clearTimeout(handle) {
            timers.delete(handle.id);
        },
        async advance(ms) {
            const target = now + ms;
            await settle();
            for (;;) {
                let due;
                for (const t of timers.values())
                    if (t.at <= target && (!due || t.at < due.at || (t.at === due.at && t.id < due.id)))
                        due = t;
                if (!due)
                    break;
                timers.delete(due.id);
                now = Math.max(now, due.at);
                due.fn();
                await settle();
            }
            now = target;
            await settle();
        },
        pendingTimers: () => timers.size,
    };
}
//# sourceMappingURL=fake-clock.js.map