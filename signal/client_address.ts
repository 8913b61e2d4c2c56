/**
 * Where a client connects from, as the per-address connection limit counts it.
 * @module
 */

/**
 * The key an address is counted under for the per-address limit: an IPv4 address as it is
 * (also when written IPv4-mapped, `::ffff:1.2.3.4`), an IPv6 address by its first 64 bits, as
 * one machine usually holds a whole /64.
 */
export function addressKey(address: string): string {
  const plain = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = plain.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped) return mapped[1];
  if (!plain.includes(":")) return plain;
  const [head, tail = ""] = plain.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = plain.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/**
 * The address a client is counted under: the socket's peer address, or with `trustProxy` the
 * last address of the `X-Forwarded-For` header (the one the proxy added; earlier ones are the
 * client's word and could be anything).
 */
export function clientAddress(
  socketAddress: string,
  forwardedFor: string | null | undefined,
  trustProxy: boolean,
): string {
  if (!trustProxy || !forwardedFor) return socketAddress;
  const last = forwardedFor.split(",").map((part) => part.trim()).filter(Boolean).at(-1);
  return last?.slice(0, 64) ?? socketAddress;
}
