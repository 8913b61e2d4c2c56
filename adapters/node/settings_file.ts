/**
 * `settings.json` in a node's directory: the settings a person may edit (name, modules), apart
 * from the identity and its secret key (core/node_settings.ts). `nodeStart` reads it before
 * starting and writes it when it is missing, so there is always one to edit.
 * @module
 */

import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { NodeInfo } from "../../core/config.ts";
import {
  encodeNodeSettings,
  type NodeSettings,
  parseNodeSettings,
} from "../../core/node_settings.ts";

/** The settings file of the node directory `dir`. */
export function settingsPath(dir: string): string {
  return join(dir, "settings.json");
}

/** The settings in `dir`, or undefined when there is no file; a malformed one throws, naming it. */
export async function readSettingsFile(dir: string): Promise<NodeSettings | undefined> {
  const path = settingsPath(dir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
  return parseNodeSettings(text, path);
}

/** Writes `info`'s name and modules to `dir`'s settings file (whole or not at all). */
export async function writeSettingsFile(dir: string, info: NodeInfo): Promise<void> {
  const path = settingsPath(dir);
  await writeFile(`${path}.tmp`, encodeNodeSettings({ name: info.name, modules: info.modules }));
  await rename(`${path}.tmp`, path);
}
