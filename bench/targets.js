// The probed side of the bench: N node:http servers on 127.0.0.1:0 answering 200 "ok", in a
// process of their own so that their CPU is never counted against the prober. Forked by
// run.js with IPC; reports its ports, counts requests, and exits when the parent goes away.
import http from 'node:http';

const count = Number(process.argv[2] ?? 8);
let requests = 0;
const servers = [];

for (let i = 0; i < count; i++) {
  const server = http.createServer((req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  servers.push(
    new Promise((resolve, reject) => {
      server.once('error', reject);
      // Probes open a fresh connection each and close it after the response; many arrive at once.
      server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve(server.address().port));
    }),
  );
}

const ports = await Promise.all(servers);
process.send({ type: 'ready', ports, pid: process.pid });
process.on('message', (msg) => {
  if (msg?.type === 'count') process.send({ type: 'count', requests });
});
// The parent's exit (or a crash of it) closes the IPC channel: never outlive the bench.
process.on('disconnect', () => process.exit(0));
