/**
 * The desktop app's own preferences (the window's bounds), kept by electron-store in the
 * app's user-data folder. What the interface shares with web mode (recent files, layouts)
 * lives in the core's store instead. Never secrets: SSH passwords and codes are asked each
 * time; keys stay in ~/.ssh and the agent.
 */
import ElectronStore from 'electron-store';

export interface PreferenceValues {
  windowBounds?: { x: number; y: number; width: number; height: number };
}

export class Preferences {
  private readonly store = new ElectronStore<PreferenceValues>({
    name: 'preferences',
    schema: {
      windowBounds: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number', minimum: 200 }, height: { type: 'number', minimum: 200 } } },
    },
    clearInvalidConfig: true,
  });

  get<K extends keyof PreferenceValues>(key: K): PreferenceValues[K] {
    return this.store.get(key);
  }

  set<K extends keyof PreferenceValues>(key: K, value: Exclude<PreferenceValues[K], undefined>): void {
    this.store.set(key, value);
  }
}
