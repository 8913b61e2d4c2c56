/**
 * Tells a browser node's network when its connectivity may be back: the page's `online` event,
 * and a hidden page becoming visible again (a frozen or throttled tab resumed), send `retry`,
 * so the node reconnects to its signalling server at once instead of after its backoff (up to
 * 4 s). Connections to peers that died meanwhile are noticed by the liveness timeout and
 * replaced by the modules, so what the node had is re-established without a reload.
 * @module
 */

import type { NetworkBroker } from "../../net/network.ts";

/** The part of `window` this uses. */
export interface PageEvents {
  /** `window.addEventListener`. */
  addEventListener(type: string, listener: () => void): void;
  /** `window.removeEventListener`. */
  removeEventListener(type: string, listener: () => void): void;
  /** `document`, for `visibilitychange`. */
  document?: {
    visibilityState: string;
    addEventListener(type: string, listener: () => void): void;
    removeEventListener(type: string, listener: () => void): void;
  };
}

/** Sends `retry` to `broker` whenever `page` says the network or the page is back. */
export function retryWhenBack(broker: NetworkBroker, page: PageEvents): void {
  const retry = () => broker.enqueueIn({ type: "retry" });
  const visible = () => {
    if (page.document?.visibilityState === "visible") retry();
  };
  page.addEventListener("online", retry);
  page.document?.addEventListener("visibilitychange", visible);
  const closed = broker.tapOut((out) => {
    if (out.type !== "closed") return;
    page.removeEventListener("online", retry);
    page.document?.removeEventListener("visibilitychange", visible);
    closed.remove();
  });
}
