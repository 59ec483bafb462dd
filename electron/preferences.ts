/**
 * The desktop app's preferences (window bounds, recent files, cluster profiles), kept by
 * electron-store in the app's user-data folder. Never secrets: SSH passwords and codes are
 * asked each time; keys stay in ~/.ssh and the agent.
 */
import ElectronStore from 'electron-store';

export interface PreferenceValues {
  windowBounds?: { x: number; y: number; width: number; height: number };
  recentFiles?: string[];
  /** Clusters the user added by hand: a name and an SSH destination. */
  clusterProfiles?: { name: string; destination: string }[];
}

export class Preferences {
  private readonly store = new ElectronStore<PreferenceValues>({
    name: 'preferences',
    schema: {
      windowBounds: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number', minimum: 200 }, height: { type: 'number', minimum: 200 } } },
      recentFiles: { type: 'array', items: { type: 'string' }, maxItems: 20 },
      clusterProfiles: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, destination: { type: 'string' } }, required: ['name', 'destination'] } },
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
