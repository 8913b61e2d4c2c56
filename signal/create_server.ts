/**
 * The step both runtimes' servers share before they listen: the protocol logic with its
 * connection limit fitted to the file descriptors the process may open, joined to a cluster
 * when NATS addresses are given.
 * @module
 */

import { allowedConnections } from "./fd_limit.ts";
import type { ServeSignalOptions } from "./serve_options.ts";
import { SignalServer } from "./server.ts";
import type { SignalServerOptions } from "./server_options.ts";

/**
 * A {@link SignalServer} for `options`, reading files with the runtime's `readText`: the
 * process's limits (`/proc/self/limits`, where there is one) and the TURN secret. With
 * `options.nats`, it first connects to NATS through `options.connectBus` (and fails with an
 * error saying so when none answers).
 */
export async function createSignalServer(
  options:
    & Partial<SignalServerOptions>
    & Pick<
      ServeSignalOptions,
      "nats" | "natsAuth" | "connectBus" | "cluster" | "turnSecretFile"
    >,
  readText: (path: string) => Promise<string>,
): Promise<SignalServer> {
  const { nats, natsAuth, connectBus, cluster, turnSecretFile, ...serverOptions } = options;
  const limits = await readText("/proc/self/limits").catch(() => undefined);
  const maxConnections = allowedConnections(serverOptions.maxConnections, limits);
  if (serverOptions.turn && turnSecretFile !== undefined) {
    const secret = await readText(turnSecretFile).catch((error) => {
      throw new Error(`cannot read the TURN secret from ${turnSecretFile}: ${error.message}`);
    });
    serverOptions.turn = { ...serverOptions.turn, secret: secret.trim() };
  }
  if (serverOptions.turn && !serverOptions.turn.secret) {
    throw new Error("TURN credentials need the TURN server's shared secret (--turn-secret-file)");
  }
  if (!nats?.length) {
    if (cluster !== undefined) throw new Error("a cluster name needs NATS addresses (--nats)");
    return new SignalServer({ ...serverOptions, maxConnections });
  }
  if (!connectBus) throw new Error("NATS addresses need a connectBus to reach them");
  const bus = await connectBus(nats, natsAuth);
  const server = new SignalServer({ ...serverOptions, maxConnections });
  try {
    server.joinCluster(bus, cluster === undefined ? {} : { name: cluster });
  } catch (error) {
    await server.close();
    await bus.close();
    throw error;
  }
  return server;
}
