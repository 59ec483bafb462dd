import { openInteractiveCore } from '../app-core.ts';
import { serveWeb } from '../web.ts';
import { EXIT_OK, UsageError } from './options.ts';
import type { CliOptions } from './options.ts';

/**
 * `flotilla serve [--port N]`: web mode until Ctrl-C. Prints the URL (with its token) to open.
 * Host-key and login questions go to the page as dialogs.
 */
export async function serveCommand(values: CliOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not '${values.port}'`);
  const core = openInteractiveCore(env);
  const host = await serveWeb({ service: core.service, port });
  process.stdout.write(`Flotilla web mode (this machine only): ${host.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  core.close();
  return EXIT_OK;
}
