/**
 * The core as the interactive hosts run it — web mode (`flotilla serve`) and the desktop app:
 * the store in the user's Flotilla home, the user's SSH settings, and host-key and login
 * questions turned into dialogs (core/api/prompts.ts). One place, so both run the same core.
 */
import { PromptBroker } from '../api/prompts.ts';
import { FlotillaService } from '../api/service.ts';
import type { ServiceOptions } from '../api/service.ts';
import { Store } from '../store/store.ts';
import { userClusters } from './cli/remote.ts';

export interface InteractiveCore {
  service: FlotillaService;
  /** Stops asking, listening and connecting, and closes the store unless told not to (runs it drove stop with the process). */
  close(options?: { store?: boolean }): void;
}

export function openInteractiveCore(env: NodeJS.ProcessEnv = process.env): InteractiveCore {
  const store = Store.open();
  const prompts = new PromptBroker();
  const clusters = userClusters(env, prompts, prompts);
  const service = new FlotillaService(store, { remote: { clusters, interactive: true }, prompts });
  // Runs left running when the app last stopped are watched again at once (core/api/reattach.ts).
  void service.perform('runs.reattach', {}).catch((error: Error) => process.stderr.write(`flotilla: the interrupted runs could not be taken up again: ${error.message}\n`));
  return {
    service,
    close(options = {}) {
      prompts.close();
      service.close();
      clusters.close();
      if (options.store !== false) store.close();
    },
  };
}

/**
 * The core for a command line: the service over the user's store. With `options` it drives
 * runs as the CLI does (its SSH and prompts, the bundle's plan cache, no events when quiet);
 * without, it drives nothing and reaches no cluster. `finish` when done: the store is left open
 * for the process's end (see the CLI's commands.ts), with a deleted log copied in first.
 */
export function openCommandCore(options: ServiceOptions = {}): { service: FlotillaService; finish(): void } {
  const store = Store.open();
  const service = new FlotillaService(store, options);
  return {
    service,
    finish() {
      service.close();
      options.remote?.clusters.close();
      store.rescueLog();
    },
  };
}
