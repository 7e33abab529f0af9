// `job-review brand import <file.md>` and `brand show`: the career brand the
// reviewer reads (app.career_brand; a dimension not stored uses the shipped
// default).
import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { parseBrandMarkdown } from '../import/brand-markdown.ts';
import { DEFAULT_BRAND_TEXT, loadBrand } from '../review/brand.ts';
import { DEFAULT_WEIGHTS, DIMENSION_TITLES, DIMENSIONS } from '../review/dimensions.ts';
import { CliError, commandContext, type GlobalArgs } from './context.ts';
import { withDatabase } from './database.ts';
import { clip, table } from './format.ts';
import { runCommand } from './run-command.ts';

interface ImportArgs extends GlobalArgs {
  file: string;
}

interface ShowArgs extends GlobalArgs {
  full?: boolean;
}

const brandImport: CommandModule<GlobalArgs, ImportArgs> = {
  command: 'import <file>',
  describe: 'Import a markdown file split on its headings into the five dimensions (unknown headings are reported; dimensions not in the file keep what they have)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'A markdown file' })
      .example('$0 brand import brand.md', '"# North Star", "# Trajectory & Mastery", "# Values Compass", "# Lifestyle Alignment", "# Compensation Philosophy (weight 0.3)"'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    let text: string;
    try {
      text = await readFile(args.file, 'utf8');
    } catch (error) {
      throw new CliError(`Cannot read ${args.file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    const parsed = parseBrandMarkdown(text);
    for (const u of parsed.unknown) process.stderr.write(`job-review: ${args.file}:${u.line}: unknown heading "${u.heading}" (not imported)\n`);
    if (parsed.errors.length > 0) throw new CliError(`${args.file}: ${parsed.errors.join('; ')}; nothing imported`);
    const rows = await withDatabase(ctx, async (pool) => {
      const input = parsed.sections.map((s) => ({ dimension: s.dimension, content: s.content, weight: s.weight, default_weight: DEFAULT_WEIGHTS[s.dimension] }));
      return (await pool.query<{ dimension: string; weight: number; content: string }>('select dimension, weight, content from app_private.import_career_brand($1)', [JSON.stringify(input)])).rows;
    });
    const imported = parsed.sections.map((s) => s.dimension);
    const missing = DIMENSIONS.filter((d) => !imported.includes(d));
    ctx.out(
      [
        table(['Dimension', 'Weight', 'Characters'], rows.map((r) => [r.dimension, Number(r.weight), r.content.length])),
        `Imported ${rows.length} dimension(s) from ${args.file}.`,
        ...(missing.length ? [`Not in the file (unchanged): ${missing.join(', ')}`] : []),
        ...(parsed.unknown.length ? [`Unknown headings (not imported): ${parsed.unknown.map((u) => `"${u.heading}" (line ${u.line})`).join(', ')}`] : []),
      ].join('\n'),
      { file: args.file, imported: rows.map((r) => ({ dimension: r.dimension, weight: Number(r.weight), characters: r.content.length })), unchanged: missing, unknown_headings: parsed.unknown },
    );
  }),
};

const brandShow: CommandModule<GlobalArgs, ShowArgs> = {
  command: 'show',
  describe: 'The career brand the reviewer uses: each dimension with its weight, text and whether it is stored or the default',
  builder: (y) =>
    y
      .option('full', { type: 'boolean', describe: 'Print the whole text of each dimension' })
      .example('$0 brand show --full', 'every dimension in full'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const { brand, stored } = await withDatabase(ctx, (pool) => loadBrand(pool));
    const dims = DIMENSIONS.map((d) => ({
      dimension: d,
      title: DIMENSION_TITLES[d],
      weight: brand[d].weight,
      source: stored.includes(d) && brand[d].content !== DEFAULT_BRAND_TEXT[d] ? 'stored' : stored.includes(d) ? 'stored (empty text: default used)' : 'default',
      content: brand[d].content,
    }));
    const human = args.full
      ? dims.map((d) => `# ${d.title} (weight ${d.weight}, ${d.source})\n\n${d.content}\n`).join('\n')
      : table(['Dimension', 'Weight', 'Source', 'Text'], dims.map((d) => [d.title, d.weight, d.source, clip(d.content, 70)]));
    ctx.out(human, { dimensions: dims });
  }),
};

export const brandCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'brand <command>',
  describe: 'The career brand: import it from markdown, show it',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .command(brandImport)
      .command(brandShow)
      .demandCommand(1, 'Name a brand command: import or show')
      .example('$0 brand import brand.md', 'replace the dimensions the file names')
      .example('$0 brand show', 'what the reviewer reads') as Argv<GlobalArgs>,
  handler: () => {},
};
