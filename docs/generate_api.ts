// deno-lint-ignore-file no-console
/**
 * Writes docs/api.md from `deno doc` of the entry points: first the calls most programs start
 * with, each with its signature (and a class's members) and documentation, then every exported
 * symbol with its kind, the first sentence of its documentation and where it is defined.
 * `npm run docs:api` writes it; `--check` (run by `npm run check`) fails when it is out of date.
 * @module
 */

import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const root = new URL("..", import.meta.url).pathname;
const target = join(root, "docs", "api.md");

const ENTRIES = [
  { file: "mod.ts", name: "flnet", about: "runtime-neutral: every runtime" },
  { file: "node.ts", name: "flnet/node", about: "Node and Deno; adds to flnet" },
  { file: "browser.ts", name: "flnet/browser", about: "browsers; adds to flnet" },
  { file: "modules.ts", name: "flnet/modules", about: "the building blocks under a Node" },
  { file: "wire.ts", name: "flnet/wire", about: "wire formats and transport pieces" },
  { file: "testing.ts", name: "flnet/testing", about: "an in-memory network for tests" },
  { file: "cli.ts", name: "flnet/cli", about: "Node and Deno: the flnet chat command" },
  { file: "signal/mod.ts", name: "@flnet/flnet/signal", about: "Deno only: the signalling server" },
];

/** The calls most programs start with, in the order a reader meets them. */
const START_HERE = [
  { file: "node.ts", name: "networkStart" },
  { file: "node.ts", name: "Network" },
  { file: "node.ts", name: "NetworkError" },
  { file: "node.ts", name: "NodeConfig" },
  { file: "node.ts", name: "nodeStart" },
  { file: "node.ts", name: "Node" },
  { file: "node.ts", name: "Room" },
  { file: "browser.ts", name: "nodeStart" },
  { file: "node.ts", name: "serveSignalOnNode" },
];

/** A parameter as `deno doc --json` gives it: one with a default is an `assign`. */
type DocParam = { kind: string; name?: string; optional?: boolean; left?: DocParam };
/** A function, constructor or method as `deno doc --json` gives it. */
type DocFunction = { name?: string; params?: DocParam[]; functionDef?: { params?: DocParam[] } };

/** The names of the parameters that may be left out (`?`, or with a default). */
function optionalParams(params: DocParam[] = []): string[] {
  return params.flatMap((param) =>
    param.kind === "assign" && param.left?.name
      ? [param.left.name]
      : param.optional && param.name
      ? [param.name]
      : []
  );
}

/**
 * For each signature of the symbol `name` in `file` (a function, or a class's constructor and
 * methods): the first words of its line in `deno doc`'s text, and its optional parameters.
 */
async function signatures(file: string, name: string): Promise<[string, string[]][]> {
  const { stdout } = await promisify(execFile)(
    join(root, "node_modules", ".bin", "deno"),
    ["doc", "--json", file],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  const node = Object.values(JSON.parse(stdout).nodes)[0] as {
    symbols: { name: string; declarations: { def?: Record<string, unknown> }[] }[];
  };
  const def = node.symbols.find((symbol) => symbol.name === name)?.declarations[0].def ?? {};
  const found: [string, string[]][] = [];
  if (Array.isArray(def.params)) found.push([`function ${name}(`, optionalParams(def.params)]);
  for (const c of (def.constructors ?? []) as DocFunction[]) {
    found.push(["constructor(", optionalParams(c.params)]);
  }
  for (const m of (def.methods ?? []) as DocFunction[]) {
    found.push([`${m.name}(`, optionalParams(m.functionDef?.params)]);
  }
  return found.filter(([, optional]) => optional.length > 0);
}

/**
 * `deno doc`'s text for the symbol `name` of `file`: signatures and documentation, with the
 * parameters that may be left out marked `?` (the text shows a defaulted one as required).
 */
async function described(file: string, name: string): Promise<string> {
  const text = await describedAsIs(file, name);
  const optional = await signatures(file, name);
  return text.split("\n").map((line) => {
    const found = optional.find(([start]) =>
      line.trimStart().replace(/^async /, "").startsWith(start)
    );
    if (!found) return line;
    let marked = line;
    for (const param of found[1]) {
      marked = marked.replace(new RegExp(`([(,] ?(?:readonly )?)${param}: `), `$1${param}?: `);
    }
    return marked;
  }).join("\n");
}

/** `deno doc`'s text for the symbol `name` of `file`, as it prints it. */
async function describedAsIs(file: string, name: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    join(root, "node_modules", ".bin", "deno"),
    ["doc", "--filter", name, file],
    { cwd: root, maxBuffer: 16 * 1024 * 1024, env: { ...Deno.env.toObject(), NO_COLOR: "1" } },
  );
  const lines = stdout.split("\n");
  const start = lines.findIndex((line) => line.startsWith("Defined in "));
  if (start < 0) throw new Error(`deno doc has no symbol ${name} in ${file}`);
  return lines.slice(start)
    .map((line) => line.replace(/^Defined in file:\/\/.*?\/?([^/]+(\/[^/]+)*?\.ts):\d+:\d+$/, ""))
    .join("\n").replace(/\n{3,}/g, "\n\n").trim();
}

interface DocSymbol {
  name: string;
  kind: string;
  file: string;
  summary: string;
}

type DocJson = {
  nodes: Record<string, {
    module_doc?: { doc?: string };
    symbols?: {
      name: string;
      declarations: {
        kind: string;
        location: { filename: string; line: number };
        jsDoc?: { doc?: string };
      }[];
    }[];
  }>;
};

/** The first sentence of a JSDoc text, on one line. */
function firstSentence(doc = ""): string {
  const text = doc.replace(/\{@link ([^}]+)\}/g, "`$1`").replace(/\s+/g, " ").trim();
  const end = text.search(/(?<!\b(e\.g|i\.e|etc))\.(\s|$)/); // "e.g." ends no sentence
  return (end >= 0 ? text.slice(0, end + 1) : text).replaceAll("|", "\\|");
}

async function symbols(file: string): Promise<{ about: string; symbols: DocSymbol[] }> {
  const { stdout } = await promisify(execFile)(
    join(root, "node_modules", ".bin", "deno"),
    ["doc", "--json", file],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  const node = Object.values((JSON.parse(stdout) as DocJson).nodes)[0];
  const list = (node.symbols ?? []).map((symbol) => {
    const declaration = symbol.declarations[0];
    return {
      name: symbol.name,
      kind: symbol.declarations.map((d) => d.kind).join(" + "),
      file: declaration.location.filename.replace(`file://${root}`, ""),
      summary: firstSentence(symbol.declarations.find((d) => d.jsDoc?.doc)?.jsDoc?.doc),
    };
  });
  return { about: firstSentence(node.module_doc?.doc), symbols: list };
}

/** The text of docs/api.md. */
export async function apiMarkdown(): Promise<string> {
  const lines = [
    "# API reference",
    "",
    "Generated from the sources by `npm run docs:api` (`deno doc`); `npm run check` fails",
    "when it is out of date. Every symbol's full documentation is in its JSDoc (`deno doc FILE`).",
    "",
  ];
  lines.push(
    "## Start here",
    "",
    "The calls most programs start with, as `deno doc` shows them. Import them from `flnet/node` on",
    "Node and Deno, from `flnet/browser` in a page (the same names), or from `flnet` anywhere.",
    "",
  );
  for (const { file, name } of START_HERE) {
    lines.push(`### \`${name}\``, "", "```text", await described(file, name), "```", "");
  }
  lines.push("## Every symbol, by entry point", "");
  const seen = new Set<string>();
  for (const entry of ENTRIES) {
    const { about, symbols: list } = await symbols(entry.file);
    const own = list.filter((s) => !seen.has(`${s.name}@${s.file}`));
    for (const s of list) seen.add(`${s.name}@${s.file}`);
    lines.push(`### \`${entry.name}\` (${entry.file}: ${entry.about})`, "", about, "");
    lines.push("| symbol | kind | what it is | defined in |", "| --- | --- | --- | --- |");
    for (
      const s of own.toSorted((a, b) =>
        a.file.localeCompare(b.file) || a.name.localeCompare(b.name)
      )
    ) {
      lines.push(
        `| \`${s.name}\` | ${s.kind} | ${s.summary} | [${s.file}](../${s.file}) |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** `text` as `deno fmt` formats markdown. */
async function formatted(text: string): Promise<string> {
  const fmt = new Deno.Command(join(root, "node_modules", ".bin", "deno"), {
    args: ["fmt", "--ext=md", "-"],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = fmt.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout } = await fmt.output();
  if (code !== 0) throw new Error("deno fmt could not format the generated markdown");
  return new TextDecoder().decode(stdout);
}

if (import.meta.main) {
  const text = await formatted(await apiMarkdown());
  if (Deno.args.includes("--check")) {
    if (await readFile(target, "utf8").catch(() => "") !== text) {
      console.error("docs/api.md is out of date: run `npm run docs:api` and commit it");
      Deno.exit(1);
    }
  } else {
    await writeFile(target, text);
    console.log(`wrote ${target}`);
  }
}
