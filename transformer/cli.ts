import type { Command } from 'commander';

interface ConvertOptions {
  baseUrl: string;
  spaceKey: string;
  pageId: string;
  title: string;
  text?: boolean;
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description(
      'convert one page: Confluence storage format on stdin -> sanitized HTML (or plain text) on stdout',
    )
    .requiredOption('--base-url <url>', 'the site wiki root, e.g. https://acme.atlassian.net/wiki')
    .requiredOption('--space-key <key>', "the page's space key")
    .requiredOption('--page-id <id>', "the page's id (attachment URLs use it)")
    .requiredOption('--title <title>', "the page's title (anchor links use it)")
    .option('--text', 'write the plain text instead of the HTML')
    .action(async (opts: ConvertOptions) => {
      // Loaded only when converting, so the CLI's other commands start fast.
      const { convertPage, ConversionError } = await import('./convert.ts');
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      try {
        const out = convertPage(Buffer.concat(chunks).toString('utf8'), {
          baseUrl: opts.baseUrl,
          spaceKey: opts.spaceKey,
          pageId: opts.pageId,
          title: opts.title,
        });
        process.stdout.write(opts.text ? out.text : out.html);
      } catch (err) {
        if (!(err instanceof ConversionError)) throw err;
        console.error(`convert: ${err.reason}: ${err.message}`);
        process.exitCode = 1;
      }
    });
}
