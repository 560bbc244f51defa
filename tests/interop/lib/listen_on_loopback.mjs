// Preloaded into Node servers that only print the port they were asked for (server-everything's
// streamableHttp mode says "listening on port 0"): binds them to 127.0.0.1 and logs the bound
// address as `listening url=http://127.0.0.1:<port>` on stderr, the line the harness waits for.
//
//   node --import ./tests/interop/lib/listen_on_loopback.mjs server.js    (with PORT=0)
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function patchedListen(...args) {
  this.once('listening', () => {
    const address = this.address();
    if (address && typeof address === 'object') {
      process.stderr.write(`listening url=http://127.0.0.1:${address.port}\n`);
    }
  });
  // listen(port[, callback]): add the host so nothing binds beyond loopback.
  if ((typeof args[0] === 'number' || typeof args[0] === 'string') &&
      (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
