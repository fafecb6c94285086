// A tiny authoritative DNS server over UDP for tests: answers from a table, with chosen names
// that fail (SERVFAIL, REFUSED) or never answer, so resolvers can be tested on loopback.
import dgram from 'node:dgram';
import net from 'node:net';
const TYPE_CODES = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28, SRV: 33 };
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };
export async function startDnsServer(options) {
    const socket = dgram.createSocket('udp4');
    const queries = [];
    const lower = (names) => new Set((names ?? []).map((n) => n.toLowerCase()));
    const servfail = lower(options.servfail);
    const refused = lower(options.refused);
    const silent = lower(options.silent);
    const zone = new Map(Object.entries(options.zone).map(([k, v]) => [k.toLowerCase(), v]));
    socket.on('message', (msg, rinfo) => {
        const q = parseQuery(msg);
        if (!q)
            return;
        queries.push({ name: q.name, type: q.type });
        const key = q.name.toLowerCase();
        if (silent.has(key))
            return;
        let rcode = RCODE.NOERROR;
        let answers = [];
        if (servfail.has(key))
            rcode = RCODE.SERVFAIL;
        else if (refused.has(key))
            rcode = RCODE.REFUSED;
        else if (!zone.has(key))
            rcode = RCODE.NXDOMAIN;
        else
            answers = answersFor(zone, key, q.type);
        socket.send(response(msg, q.questionEnd, rcode, answers), rinfo.port, rinfo.address);
    });
    await new Promise((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => resolve());
    });
    const port = socket.address().port;
    return {
        port,
        address: `127.0.0.1:${port}`,
        queries,
        close: () => new Promise((resolve) => socket.close(() => resolve())),
    };
}
function parseQuery(msg) {
    if (msg.length < 12 || msg.readUInt16BE(4) !== 1)
        return undefined;
    const labels = [];
    let off = 12;
    for (;;) {
        const len = msg[off];
        if (len === undefined || len > 63)
            return undefined;
        off += 1;
        if (len === 0)
            break;
        labels.push(msg.subarray(off, off + len).toString('latin1'));
        off += len;
    }
    if (off + 4 > msg.length)
        return undefined;
    return { id: msg.readUInt16BE(0), name: labels.join('.'), type: msg.readUInt16BE(off), questionEnd: off + 4 };
}
function answersFor(zone, name, qtype) {
    const records = zone.get(name) ?? [];
    const out = [];
    for (const r of records) {
        if (TYPE_CODES[r.type] === qtype)
            out.push(rr(name, r));
    }
    // Like a real server, follow one CNAME for other types so resolvers see the chain.
    const cname = records.find((r) => r.type === 'CNAME');
    if (out.length === 0 && cname && qtype !== TYPE_CODES.CNAME) {
        const target = cname.data.toLowerCase();
        out.push(rr(name, cname));
        for (const r of zone.get(target) ?? [])
            if (TYPE_CODES[r.type] === qtype)
                out.push(rr(target, r));
    }
    return out;
}
function response(query, questionEnd, rcode, answers) {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    const qflags = query.readUInt16BE(2);
    // QR | opcode copied | AA | RD copied | RA | rcode
    header.writeUInt16BE(0x8000 | (qflags & 0x7800) | 0x0400 | (qflags & 0x0100) | 0x0080 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}
function rr(owner, r) {
    const rdata = encodeRdata(r);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(TYPE_CODES[r.type], 0);
    fixed.writeUInt16BE(1, 2); // IN
    fixed.writeUInt32BE(r.ttl ?? 300, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([encodeName(owner), fixed, rdata]);
}
function encodeRdata(r) {
    switch (r.type) {
        case 'A':
            return Buffer.from(r.data.split('.').map(Number));
        case 'AAAA':
            return ipv6Bytes(r.data);
        case 'CNAME':
        case 'NS':
            return encodeName(r.data);
        case 'MX': {
            const pref = Buffer.alloc(2);
            pref.writeUInt16BE(r.data.priority);
            return Buffer.concat([pref, encodeName(r.data.exchange)]);
        }
        case 'TXT':
            return Buffer.concat(r.data.map((s) => {
                const bytes = Buffer.from(s, 'utf8');
                return Buffer.concat([Buffer.from([bytes.length]), bytes]);
            }));
        case 'SRV': {
            const head = Buffer.alloc(6);
            head.writeUInt16BE(r.data.priority, 0);
            head.writeUInt16BE(r.data.weight, 2);
            head.writeUInt16BE(r.data.port, 4);
            return Buffer.concat([head, encodeName(r.data.target)]);
        }
    }
}
function encodeName(name) {
    const parts = name.replace(/\.$/, '').split('.').filter((p) => p !== '');
    return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])), Buffer.from([0])]);
}
function ipv6Bytes(address) {
    if (net.isIPv6(address) === false)
        throw new Error(`not an IPv6 address: ${address}`);
    const [head = '', tail] = address.split('::');
    const groups = (s) => (s ? s.split(':') : []);
    const h = groups(head);
    const t = groups(tail);
    const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    const out = Buffer.alloc(16);
    all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
    return out;
}
//# sourceMappingURL=dns-server.js.map