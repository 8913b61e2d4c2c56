/**
 * Debian's Firefox ESR driven by puppeteer-core over WebDriver BiDi, with the preferences that
 * keep it quiet (no updates, telemetry or other background traffic) and its WebRTC on
 * loopback: Firefox offers loopback host candidates only to a page that may use a device, and
 * only when told to gather on loopback at all, with the addresses shown rather than hidden
 * behind mDNS names. docs/browser.md says the same for pages.
 * @module
 */

import puppeteer, { type Browser } from "puppeteer-core";

const FIREFOX = "/usr/bin/firefox-esr";

/** The preferences every test Firefox starts with. */
export const FIREFOX_TEST_PREFS: Record<string, unknown> = {
  // WebRTC on loopback, with real addresses
  "permissions.default.microphone": 1,
  "media.peerconnection.ice.loopback": true,
  "media.peerconnection.ice.obfuscate_host_addresses": false,
  // no background traffic
  "app.update.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "toolkit.telemetry.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "extensions.update.enabled": false,
  "browser.region.network.url": "",
  "services.settings.server": "http://127.0.0.1:9/",
};

/** Launches headless Firefox ESR; throws, saying how to install it, when it is missing. */
export async function launchFirefox(): Promise<Browser> {
  try {
    await Deno.stat(FIREFOX);
  } catch {
    throw new Error(
      `${FIREFOX} is missing: run \`apt-get install -y firefox-esr\` (npm test does, as root)`,
    );
  }
  return await puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: FIREFOX_TEST_PREFS,
  });
}
