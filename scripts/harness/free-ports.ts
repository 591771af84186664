/**
 * Picks free TCP ports on 127.0.0.1 for the test servers.
 *
 * @module
 */
import { createServer, type Server } from 'node:net';

/**
 * Returns `count` distinct free ports on 127.0.0.1. All listeners are held open until every port is known, so the
 * kernel cannot hand out the same port twice within one call; the ports are released before this resolves.
 *
 * @example
 * ```ts
 * const [imap, imaps] = await freePorts(2);
 * ```
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('listener has no TCP address');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
