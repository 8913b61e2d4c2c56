/**
 * The step both runtimes' servers share before they listen: the protocol logic with its
 * connection limit fitted to the file descriptors the process may open, joined to a cluster
 * when NATS addresses are given.
 * @module
 */

import { allowedConnections } from "./fd_limit.ts";
import { type ServeSignalOptions, SignalServer, type SignalServerOptions } from "./server.ts";

/**
 * A {@link SignalServer} for `options`; `limits` is the text of `/proc/self/limits` when the
 * runtime could read it. With `options.nats`, it first connects to NATS (and fails with an
 * error saying so when none answers).
 */
export async function createSignalServer(
  options: Partial<SignalServerOptions> & Pick<ServeSignalOptions, "nats" | "cluster">,
  limits: string | undefined,
): Promise<SignalServer> {
  const { nats, cluster, ...serverOptions } = options;
  const maxConnections = allowedConnections(serverOptions.maxConnections, limits);
  if (!nats?.length) {
    if (cluster !== undefined) throw new Error("a cluster name needs NATS addresses (--nats)");
    return new SignalServer({ ...serverOptions, maxConnections });
  }
  const { connectNatsBus } = await import("../adapters/nats/nats_bus.ts");
  const bus = await connectNatsBus(nats);
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
