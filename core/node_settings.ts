/**
 * The settings of a node that a person may edit (its name and the modules it runs), kept apart
 * from its secret key: `nodeStart` keeps them in `settings.json` beside the identity, and a
 * change takes effect at the next start. A file that cannot be read is an error that names the
 * setting; the identity is never touched by it.
 *
 * @example
 * ```ts
 * import { encodeNodeSettings, parseNodeSettings } from "./node_settings.ts";
 * const text = encodeNodeSettings({ name: "ann", modules: ["random", "gossip"] });
 * console.log(parseNodeSettings(text, "settings.json").name); // "ann"
 * ```
 * @module
 */

import { NODE_INFO_LIMITS, NodeConfigError } from "./config.ts";

/** What a person may set; what is left out keeps its stored value. */
export interface NodeSettings {
  /** The node's name, as others see it. */
  name?: string;
  /** The modules it runs (`random`, `gossip`, `ping`, `stat`). */
  modules?: string[];
}

/** The settings as the text of their file: readable JSON, one setting a line. */
export function encodeNodeSettings(settings: NodeSettings): string {
  return JSON.stringify({ name: settings.name, modules: settings.modules }, null, 2) + "\n";
}

/**
 * Reads settings from `text` (the file `where`); throws a {@link NodeConfigError} that names the
 * file and the setting that is wrong.
 */
export function parseNodeSettings(text: string, where: string): NodeSettings {
  const wrong = (what: string) =>
    new NodeConfigError(
      `${where}: ${what}; fix it, or delete the file to keep the stored settings`,
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw wrong(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw wrong('not a JSON object like {"name": "ann"}');
  }
  const settings: NodeSettings = {};
  for (const [key, setting] of Object.entries(value)) {
    if (key === "name") {
      if (
        typeof setting !== "string" || setting.length === 0 ||
        setting.length > NODE_INFO_LIMITS.name
      ) {
        throw wrong(`"name" must be text of 1 to ${NODE_INFO_LIMITS.name} characters`);
      }
      settings.name = setting;
    } else if (key === "modules") {
      if (
        !Array.isArray(setting) || setting.length > NODE_INFO_LIMITS.modules ||
        !setting.every((m) =>
          typeof m === "string" && m.length > 0 && m.length <= NODE_INFO_LIMITS.moduleName
        )
      ) {
        throw wrong(`"modules" must be a list of module names, such as ["random", "gossip"]`);
      }
      settings.modules = [...setting];
    } else {
      throw wrong(
        `unknown setting ${JSON.stringify(key).slice(0, 40)} (there are "name" and "modules")`,
      );
    }
  }
  return settings;
}
