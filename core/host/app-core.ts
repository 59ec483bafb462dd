/**
 * The core as the interactive hosts run it — web mode (`flotilla serve`) and the desktop app:
 * the store in the user's Flotilla home, the user's SSH settings, and host-key and login
 * questions turned into dialogs (core/api/prompts.ts). One place, so both run the same core.
 */
import { PromptBroker } from '../api/prompts.ts';
import { FlotillaService } from '../api/service.ts';
import { Store } from '../store/store.ts';
import { userClusters } from './cli/remote.ts';

export interface InteractiveCore {
  service: FlotillaService;
  /** Stops asking, listening and connecting, and closes the store (runs it drove stop with the process). */
  close(): void;
}

export function openInteractiveCore(env: NodeJS.ProcessEnv = process.env): InteractiveCore {
  const store = Store.open();
  const prompts = new PromptBroker();
  const clusters = userClusters(env, prompts, prompts);
  const service = new FlotillaService(store, { remote: { clusters, interactive: true }, prompts });
  return {
    service,
    close() {
      prompts.close();
      service.close();
      clusters.close();
      store.close();
    },
  };
}
