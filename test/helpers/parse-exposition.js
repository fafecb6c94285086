const LINE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
export function parseExposition(text) {
    const out = [];
    for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('#'))
            continue;
        const m = LINE_RE.exec(line);
        if (!m)
            throw new Error(`unparseable exposition line: ${line}`);
        const labels = {};
        for (const l of (m[2] ?? '').matchAll(LABEL_RE)) {
            labels[l[1]] = l[2].replace(/\\(.)/g, (_x, c) => (c === 'n' ? '\n' : c));
        }
        const raw = m[3];
        const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
        out.push({ name: m[1], labels, value });
    }
    return out;
}
//# sourceMappingURL=parse-exposition.js.map