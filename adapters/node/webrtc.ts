/**
 * The WebRTC engines for Node and Deno: `@roamhq/wrtc` (libwebrtc, the default) and
 * `node-datachannel` (libdatachannel, faster here), both loaded on first use.
 * @module
 */

import type { RTCPeerConnectionConstructor } from "../../net/peer_setup.ts";

/** The engines flnet can use on Node and Deno. */
export type WebRTCEngine = "wrtc" | "node-datachannel";

/** Loads `engine` and returns its RTCPeerConnection; the error says how to install it. */
export async function loadWebRTCEngine(
  engine: WebRTCEngine,
): Promise<RTCPeerConnectionConstructor> {
  try {
    if (engine === "node-datachannel") {
      const polyfill = await import("node-datachannel/polyfill");
      return standardNodeDatachannel(
        polyfill.RTCPeerConnection as unknown as RTCPeerConnectionConstructor,
      );
    }
    if (engine === "wrtc") {
      const wrtc = await import("@roamhq/wrtc");
      return (wrtc.default ?? wrtc).RTCPeerConnection as RTCPeerConnectionConstructor;
    }
  } catch (error) {
    const pkg = engine === "wrtc" ? "@roamhq/wrtc" : "node-datachannel";
    throw new Error(
      `the WebRTC engine "${engine}" could not be loaded (${(error as Error).message}); ` +
        `install it with: npm install ${pkg}`,
    );
  }
  throw new Error(`unknown WebRTC engine "${engine}"; use "wrtc" or "node-datachannel"`);
}

/**
 * node-datachannel where it departs from the standard, mended by a subclass:
 * - it passes each TURN server to libdatachannel as one URL, `turn:user:password@host`, which
 *   libdatachannel splits at the first colon and at-sign and then percent-decodes: a user name
 *   with a colon (every short-lived TURN credential has one) or a password with `@` or `%`
 *   would be cut apart, so both are percent-encoded first;
 * - `getStats()` gives round-trip times in milliseconds where the standard (and every other
 *   engine) uses seconds.
 */
function standardNodeDatachannel(
  Base: RTCPeerConnectionConstructor,
): RTCPeerConnectionConstructor {
  return class extends Base {
    constructor(config?: RTCConfiguration) {
      super(
        config?.iceServers
          ? {
            ...config,
            iceServers: config.iceServers.map((server) =>
              server.username && typeof server.credential === "string"
                ? {
                  ...server,
                  username: encodeURIComponent(server.username),
                  credential: encodeURIComponent(server.credential),
                }
                : server
            ),
          }
          : config,
      );
    }

    // A rest parameter keeps `getStats.length` 0, as in browsers: libraries such as
    // simple-peer take a non-zero length for the old callback form and wait forever.
    override async getStats(
      ...args: [selector?: MediaStreamTrack | null]
    ): Promise<RTCStatsReport> {
      const report = await super.getStats(...args);
      const fixed = new Map<string, unknown>();
      report.forEach((value: Record<string, unknown>, key: string) => {
        const stat = { ...value };
        for (const field of ["currentRoundTripTime", "totalRoundTripTime"]) {
          if (typeof stat[field] === "number") stat[field] = (stat[field] as number) / 1000;
        }
        fixed.set(key, stat);
      });
      return fixed as unknown as RTCStatsReport;
    }
  };
}
