/**
 * The shell commands a README gives, read from its text so a test that runs them cannot drift
 * from what a reader is told: every ```sh block, one command per line (a line ending in `\`
 * goes on), without comments.
 * @module
 */

/** The commands of each ```sh block of `markdown`, in order. */
export function shellBlocks(markdown: string): string[][] {
  const blocks: string[][] = [];
  for (const match of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const commands: string[] = [];
    let pending = "";
    for (const raw of match[1].split("\n")) {
      const line = pending + raw.replace(/(^|\s)#.*$/, "").trim();
      if (line.endsWith("\\")) {
        pending = line.slice(0, -1).trimEnd() + " ";
        continue;
      }
      pending = "";
      if (line) commands.push(line);
    }
    blocks.push(commands);
  }
  return blocks;
}

/** The ```ts block of `markdown` whose first line is `// name`. */
export function tsBlock(markdown: string, name: string): string {
  for (const match of markdown.matchAll(/^```ts[^\n]*\n([\s\S]*?)^```$/gm)) {
    if (match[1].startsWith(`// ${name}`)) return match[1];
  }
  throw new Error(`no \`\`\`ts block starting with "// ${name}"`);
}

/**
 * `command` with each `<placeholder>` replaced by `values[placeholder]`; throws naming a
 * placeholder it has no value for.
 */
export function fillPlaceholders(command: string, values: Record<string, string>): string {
  return command.replace(/<([^>]+)>/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for <${name}> in: ${command}`);
    return values[name];
  });
}
