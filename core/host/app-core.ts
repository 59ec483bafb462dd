/**
 * The core as the interactive hosts run it — web mode (`flotilla serve`) and the desktop app:
 * the store in the user's Flotilla home, the user's SSH settings, and host-key and login
 * questions turned into dialogs (core/api/prompts.ts). One place, so both run the same core.
 */
import type { MethodArgs, MethodName, MethodResult } from '../api/contract.ts';
import { PromptBroker } from '../api/prompts.ts';
import { FlotillaService } from '../api/service.ts';
import { CodedError } from '../model/errors.ts';
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
 * The core for a command that asks and prints (`flotilla status`, `history`): the service over
 * the user's store, driving nothing and reaching no cluster. `finish` when done.
 */
export function openCommandCore(): { service: FlotillaService; finish(): void } {
  const store = Store.open();
  const service = new FlotillaService(store);
  return {
    service,
    finish() {
      service.close();
      // (A log deleted under us is copied in before the process ends and takes it along.)
      store.rescueLog();
    },
  };
}

/** A method's answer; its error is thrown as a `CodedError` with the contract's code (the CLI maps codes to exit codes). */
export async function ask<M extends MethodName>(service: FlotillaService, method: M, args: MethodArgs<M>): Promise<MethodResult<M>> {
  const result = await service.invoke(method, args);
  if (!result.ok) throw new CodedError(result.error.code, result.error.message);
  return result.value;
}
