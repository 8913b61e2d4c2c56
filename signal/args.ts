/**
 * The signalling server's command line, the same on Deno (`signal/main.ts`) and Node
 * (`flnet signal`).
 * @module
 */

import { type CommonArgs, walkArgs } from "../core/args.ts";
import type { ServeSignalOptions } from "./serve_options.ts";
import type { NatsAuth } from "./cluster_options.ts";

/**
 * The usage text of the server's command line, as `command` (e.g. "deno run -A signal/main.ts"
 * or "flnet signal") starts it.
 */
export function signalUsage(command: string): string {
  return `flnet signalling server

Usage: ${command} [options]

  --port N          TCP port (default 8765; 0 picks a free one)
  --host ADDR       interface to listen on (default 127.0.0.1; 0.0.0.0 to serve others)
  --max-list-len N  most nodes in one list reply (default 50)
  --ttl SECONDS     close connections silent for this long (default 120)
  --max-frame BYTES largest accepted frame (default 65536)
  --rate N          frames per second per connection (default 200)
  --burst N         frames allowed in a burst (default 1000)
  --max-conns N     most connections at once (default 10000)
  --max-conns-per-ip N
                    most connections at once from one address, an IPv6 /64 (default 100)
  --trust-proxy     count clients by the last X-Forwarded-For address (behind a proxy only)
  --header-timeout SECONDS
                    close HTTP connections whose headers are not in after this long
                    (default 10; Node only)
  --static DIR      serve the files of DIR over HTTP (the browser demo; never dot files)
  --allow-origin ORIGINS
                    accept WebSockets only from pages of these origins
                    (https://app.example.org, comma-separated; default: any)
  --admin-token-file PATH
                    ask for this token (Authorization: Bearer) at /stats, /nodes, /metrics
  --nats URLS       join a cluster of servers over NATS (nats://host:4222, or tls://host:4222
                    to require TLS; comma-separated; no credentials in them)
  --nats-user NAME with --nats-password-file PATH, or --nats-token-file PATH,
  --nats-nkey-file PATH (an NKey seed) or --nats-creds-file PATH
                    how the server proves itself to NATS (secrets in files, never printed)
  --nats-ca-file PATH
                    the CA NATS's TLS certificate must chain to (TLS then required)
  --nats-cert-file PATH with --nats-key-file PATH
                    a client certificate, for NATS servers that verify clients
  --cluster NAME    the cluster's name when several share one NATS (default flnet)
  --turn URLS       hand nodes short-lived credentials for these TURN servers
                    (turn:host:3478, comma-separated; coturn with use-auth-secret)
  --turn-secret-file PATH
                    the TURN server's static-auth-secret, in a file
  --turn-ttl SECONDS
                    how long TURN credentials stay valid (default 600; renewed at half)
  --drain SECONDS   on SIGTERM or SIGINT, spread telling nodes to move over this time
                    (default 2; 0 tells all at once)
  -v, -vv, -vvv     log info, debug, trace (default: warnings and errors)
  -h, --help        show this text

HTTP: GET /health, /stats, /nodes (1,000 a page: ?offset=N) and /metrics (Prometheus);
WebSocket on any path.`;
}

/** Reads the command line into server options; throws an Error naming a bad argument. */
export function parseSignalArgs(
  args: string[],
): ServeSignalOptions & CommonArgs {
  const options: ServeSignalOptions = {};
  const numbers: Record<string, (n: number) => void> = {
    "--port": (n) => options.port = n,
    "--max-list-len": (n) => options.maxListLength = n,
    "--ttl": (n) => options.ttlMs = n * 1000,
    "--max-frame": (n) => options.maxFrameBytes = n,
    "--rate": (n) => options.ratePerSecond = n,
    "--burst": (n) => options.rateBurst = n,
    "--max-conns": (n) => options.maxConnections = n,
    "--drain": (n) => options.drainMs = n * 1000,
    "--max-conns-per-ip": (n) => options.maxConnectionsPerAddress = n,
    "--header-timeout": (n) => options.headerTimeoutMs = n * 1000,
    "--turn-ttl": (n) => turnTtl = n,
  };
  let turnUrls: string[] | undefined;
  let turnTtl: number | undefined;
  const natsAuth: NatsAuth = {};
  const common = walkArgs(args, (arg, value) => {
    if (arg === "--host") options.host = value();
    else if (arg === "--static") options.staticDir = value();
    else if (arg === "--cluster") options.cluster = value();
    else if (arg === "--trust-proxy") options.trustProxy = true;
    else if (arg === "--nats") options.nats = natsUrls(value());
    else if (arg in NATS_AUTH_FLAGS) natsAuth[NATS_AUTH_FLAGS[arg]] = value();
    else if (arg === "--turn") turnUrls = iceUrls(value());
    else if (arg === "--turn-secret-file") options.turnSecretFile = value();
    else if (arg === "--allow-origin") options.allowOrigins = origins(value());
    else if (arg === "--admin-token-file") options.adminTokenFile = value();
    else if (arg in numbers) {
      const text = value();
      const n = Number(text);
      const least = arg === "--port" || arg === "--drain" ? 0 : 1;
      if (!Number.isInteger(n) || n < least || n > 1e9) {
        throw new Error(`${arg} needs a whole number, got "${text}"`);
      }
      numbers[arg](n);
    } else return false;
    return true;
  });
  if ((turnUrls === undefined) !== (options.turnSecretFile === undefined)) {
    throw new Error("--turn and --turn-secret-file go together");
  }
  if (turnTtl !== undefined && !turnUrls) throw new Error("--turn-ttl needs --turn");
  if (Object.keys(natsAuth).length > 0) {
    if (!options.nats) throw new Error("the --nats-… settings need --nats");
    options.natsAuth = checkNatsAuth(natsAuth);
  }
  if (turnUrls) {
    options.turn = { secret: "", urls: turnUrls, ...(turnTtl ? { ttlSeconds: turnTtl } : {}) };
  }
  return { drainMs: 2_000, ...options, ...common };
}

/** The TURN addresses of `--turn`: `turn:`, `turns:` or `stun:` URLs, comma-separated. */
function iceUrls(text: string): string[] {
  const urls = text.split(",").map((url) => url.trim()).filter((url) => url.length > 0);
  for (const url of urls) {
    if (!/^(turns?|stun):[^\s]+$/.test(url)) {
      throw new Error(`--turn needs addresses like turn:turn.example.org:3478, got "${url}"`);
    }
  }
  if (urls.length === 0) throw new Error("--turn needs at least one address");
  return urls;
}

/** The origins of `--allow-origin`: `scheme://host[:port]`, comma-separated. */
function origins(text: string): string[] {
  const list = text.split(",").map((origin) => origin.trim()).filter((origin) => origin.length);
  for (const origin of list) {
    if (!/^https?:\/\/[^\s/]+$/.test(origin)) {
      throw new Error(
        `--allow-origin needs origins like https://app.example.org (no path), got "${origin}"`,
      );
    }
  }
  if (list.length === 0) throw new Error("--allow-origin needs at least one origin");
  return list;
}

/** The `--nats-…` flags of {@link NatsAuth}'s fields. */
const NATS_AUTH_FLAGS: Record<string, keyof NatsAuth> = {
  "--nats-user": "user",
  "--nats-password-file": "passwordFile",
  "--nats-token-file": "tokenFile",
  "--nats-nkey-file": "nkeySeedFile",
  "--nats-creds-file": "credsFile",
  "--nats-ca-file": "caFile",
  "--nats-cert-file": "certFile",
  "--nats-key-file": "keyFile",
};

/** `auth` when its settings go together; else an Error saying which do not. */
function checkNatsAuth(auth: NatsAuth): NatsAuth {
  const kinds = [auth.passwordFile, auth.tokenFile, auth.nkeySeedFile, auth.credsFile]
    .filter((file) => file !== undefined).length;
  if (kinds > 1) {
    throw new Error(
      "give NATS one kind of credential: --nats-password-file, --nats-token-file, " +
        "--nats-nkey-file or --nats-creds-file",
    );
  }
  if ((auth.user === undefined) !== (auth.passwordFile === undefined)) {
    throw new Error("--nats-user and --nats-password-file go together");
  }
  if ((auth.certFile === undefined) !== (auth.keyFile === undefined)) {
    throw new Error("--nats-cert-file and --nats-key-file go together");
  }
  return auth;
}

/** The NATS addresses of `--nats`: `nats://host:port` or `tls://host:port`, comma-separated. */
function natsUrls(text: string): string[] {
  const urls = text.split(",").map((url) => url.trim()).filter((url) => url.length > 0);
  for (const url of urls) {
    if (/^[a-z]+:\/\/[^\s/]*@/.test(url)) {
      throw new Error(
        "--nats addresses must not hold credentials (anyone who lists processes would see " +
          "them): give them with --nats-user and --nats-password-file, --nats-token-file, " +
          `--nats-nkey-file or --nats-creds-file; got "${url.replace(/\/\/[^\s/]*@/, "//***@")}"`,
      );
    }
    if (!/^(nats|tls):\/\/[^\s/]+:\d+$/.test(url)) {
      throw new Error(
        `--nats needs addresses like nats://127.0.0.1:4222 or tls://nats.example.org:4222, ` +
          `got "${url}"`,
      );
    }
  }
  if (urls.length === 0) throw new Error("--nats needs at least one address");
  return urls;
}
