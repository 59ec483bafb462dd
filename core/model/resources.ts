import type { Resources } from './types.ts';

/** The keys of a task's `resources` mapping. */
export const RESOURCE_KEYS = ['cpus', 'memory', 'time', 'gpus', 'partition', 'account', 'qos', 'nodes', 'extra'] as const;

/** A resource value that failed to parse: which key, and a message a user can act on. */
export interface ResourceProblem {
  key: string;
  message: string;
}

const TIME_HINT = "use minutes (90), [D-]HH:MM:SS (2-00:00:00), or units like 30s, 15m, 2h, 1d12h";

/**
 * Seconds of a wall-clock limit. Accepts SLURM's forms (`90` minutes, `MM:SS`,
 * `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`) and unit forms (`45s`, `30m`, `2h`, `1d12h`).
 */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * 60) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseTime(Number(text));
  const units = /^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?\s*(?:(\d+)s)?$/i.exec(text);
  if (units && text !== '' && units.slice(1).some((part) => part !== undefined)) {
    const [, d = '0', h = '0', m = '0', s = '0'] = units;
    const total = ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s);
    return total > 0 ? total : undefined;
  }
  const slurm = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(text);
  if (!slurm) return undefined;
  const [, days, first, second, third] = slurm;
  let seconds: number;
  if (days !== undefined) {
    // D-HH, D-HH:MM, D-HH:MM:SS
    seconds = Number(days) * 86400 + Number(first) * 3600 + Number(second ?? 0) * 60 + Number(third ?? 0);
  } else if (third !== undefined) {
    seconds = Number(first) * 3600 + Number(second) * 60 + Number(third);
  } else if (second !== undefined) {
    seconds = Number(first) * 60 + Number(second);
  } else {
    seconds = Number(first) * 60;
  }
  return seconds > 0 ? seconds : undefined;
}

const MEMORY_UNITS: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 };

/** Megabytes of a memory request: a number of MB, or `512M`, `4G`, `4GB`, `2GiB`, `1T`. */
export function parseMemory(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT])?(?:i?B)?$/i.exec(value.trim());
  if (!match) return undefined;
  const megabytes = Number(match[1]) * MEMORY_UNITS[(match[2] ?? 'M').toUpperCase()]!;
  return megabytes > 0 ? Math.ceil(megabytes) : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : undefined;
}

function name(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_.,:+-]+$/.test(value) ? value : undefined;
}

/**
 * Parses a raw `resources` mapping (already checked to be a mapping with known keys).
 * Returns the normalized resources and the problems, one per bad key.
 */
export function parseResources(raw: Record<string, unknown>): { resources: Resources; problems: ResourceProblem[] } {
  const resources: Resources = {};
  const problems: ResourceProblem[] = [];
  const bad = (key: string, message: string) => problems.push({ key, message: `bad resource value ${key}: ${JSON.stringify(raw[key])}: ${message}` });
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'cpus': {
        const cpus = positiveInteger(value);
        if (cpus === undefined) bad(key, 'expected a whole number of cores, like 4');
        else resources.cpus = cpus;
        break;
      }
      case 'memory': {
        const memory = parseMemory(value);
        if (memory === undefined) bad(key, 'expected a size like 4G, 512M or a number of megabytes');
        else resources.memoryMb = memory;
        break;
      }
      case 'time': {
        const time = parseTime(value);
        if (time === undefined) bad(key, TIME_HINT);
        else resources.timeSeconds = time;
        break;
      }
      case 'gpus': {
        const count = positiveInteger(value);
        if (count !== undefined) resources.gpus = String(count);
        else if (typeof value === 'string' && /^[A-Za-z0-9_-]+:\d+$/.test(value)) resources.gpus = value;
        else bad(key, 'expected a count (2) or type:count (a100:2)');
        break;
      }
      case 'nodes': {
        const text = typeof value === 'number' ? String(value) : value;
        if (typeof text === 'string' && /^[1-9]\d*(-[1-9]\d*)?$/.test(text)) resources.nodes = text;
        else bad(key, 'expected a count (2) or a range (1-4)');
        break;
      }
      case 'partition':
      case 'account':
      case 'qos': {
        const text = name(value);
        if (text === undefined) bad(key, 'expected a name of letters, digits, and _ . , : + -');
        else resources[key] = text;
        break;
      }
      case 'extra': {
        const list = typeof value === 'string' ? [value] : value;
        if (Array.isArray(list) && list.every((flag) => typeof flag === 'string' && flag.startsWith('-'))) resources.extra = list as string[];
        else bad(key, 'expected scheduler flags, like ["--constraint=haswell"]');
        break;
      }
    }
  }
  return { resources, problems };
}
