/**
 * Connects a signalling server to NATS, loading the NATS client only then: it is installed only
 * for clustered servers (an optional peer dependency of the npm package), so a missing client is
 * an error that says what to install.
 * @module
 */

import type { ClusterBus, NatsAuth } from "../../signal/cluster_options.ts";

/** A {@link ClusterBus} on the NATS servers `urls`, proving itself with `auth`. */
export async function connectNats(urls: string[], auth: NatsAuth = {}): Promise<ClusterBus> {
  const { connectNatsBus } = await import("./nats_bus.ts").catch((error) => {
    throw new Error(
      "--nats needs the NATS client, which is installed only for clustered servers: run " +
        "`npm install @nats-io/transport-node` beside flnet (it asks for Node 22 or newer), or " +
        `run the server with Deno (${(error as Error).message.split("\n")[0]})`,
    );
  });
  return await connectNatsBus(urls, auth);
}
