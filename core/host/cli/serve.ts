import { FlotillaService } from '../../api/service.ts';
import { Store } from '../../store/store.ts';
import { serveWeb } from '../web.ts';
import { cliClusters } from './remote.ts';
import { EXIT_OK, UsageError } from './options.ts';
import type { CliOptions } from './options.ts';

/** `flotilla serve [--port N]`: web mode until Ctrl-C. Prints the URL (with its token) to open. */
export async function serveCommand(values: CliOptions): Promise<number> {
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not '${values.port}'`);
  const store = Store.open();
  // Runs on remote targets reach them as the CLI does, without prompts (they come to the UI later).
  const { clusters } = cliClusters();
  const host = await serveWeb({ service: new FlotillaService(store, { remote: { clusters, interactive: false } }), port });
  process.stdout.write(`Flotilla web mode (this machine only): ${host.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  clusters.close();
  store.close();
  return EXIT_OK;
}
