/**
 * Loaded before every test module (`--preload` for Deno, `--import` for Node): tests are
 * silent unless `FLNET_LOG` names a level, e.g. `FLNET_LOG=debug npm test`.
 * @module
 */

import process from "node:process";
import { type LogLevel, setLogLevel } from "../../core/log.ts";

setLogLevel((process.env.FLNET_LOG as LogLevel | undefined) ?? "off");
