import { didYouMean } from './errors.ts';

/** Variables visible to `{{ … }}` templates: sweep variables plus `params`, `run`, `task`. */
export type TemplateVars = Record<string, unknown>;

/** A failed template: the expression to point at and why. */
export interface TemplateProblem {
  needle: string;
  message: string;
}

const EXPRESSION = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH = /^[\p{L}_][\p{L}\p{N}_-]*(?:\.[\p{L}_][\p{L}\p{N}_-]*|\[\d+\])*$/u;

/** Whether a string contains any template expression (a cheap test before rendering). */
export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

/**
 * Renders `{{ name }}`, `{{ params.x }}`, `{{ params.list[0] }}` in a string. A string that is
 * exactly one expression yields the value itself (so `foreach: "{{ params.windows }}"` gives
 * a list); otherwise values are interpolated (lists joined by spaces).
 */
export function renderTemplate(text: string, vars: TemplateVars): { value: unknown } | { problem: TemplateProblem } {
  if (!hasTemplate(text)) return { value: text };
  const whole = /^\{\{\s*([^{}]*?)\s*\}\}$/.exec(text);
  if (whole) {
    const result = evaluate(whole[1]!, whole[0], vars);
    return 'problem' in result ? result : { value: result.value };
  }
  let problem: TemplateProblem | undefined;
  const value = text.replace(EXPRESSION, (match, expression: string) => {
    if (problem) return match;
    const result = evaluate(expression, match, vars);
    if ('problem' in result) {
      problem = result.problem;
      return match;
    }
    return stringify(result.value);
  });
  return problem ? { problem } : { value };
}

/** Renders and requires a string result. */
export function renderString(text: string, vars: TemplateVars): { value: string } | { problem: TemplateProblem } {
  const result = renderTemplate(text, vars);
  if ('problem' in result) return result;
  return { value: stringify(result.value) };
}

function stringify(value: unknown): string {
  if (Array.isArray(value)) return value.map(stringify).join(' ');
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function evaluate(expression: string, needle: string, vars: TemplateVars): { value: unknown } | { problem: TemplateProblem } {
  if (!PATH.test(expression)) {
    return { problem: { needle, message: `bad template expression '${needle}': expected a variable like {{ w }} or {{ params.name }}` } };
  }
  const parts = expression.match(/[^.[\]]+|\[\d+\]/g)!;
  let current: unknown = vars;
  let walked = '';
  for (const part of parts) {
    const index = part.startsWith('[') ? Number(part.slice(1, -1)) : undefined;
    const scope = current;
    if (index !== undefined) {
      current = Array.isArray(scope) ? scope[index] : undefined;
    } else {
      current = scope !== null && typeof scope === 'object' && Object.hasOwn(scope, part) ? (scope as Record<string, unknown>)[part] : undefined;
    }
    if (current === undefined) {
      const known = scope !== null && typeof scope === 'object' && !Array.isArray(scope) ? Object.keys(scope) : [];
      const shown = walked === '' ? known.map((key) => key) : known.map((key) => `${walked}.${key}`);
      const hint = index === undefined ? didYouMean(walked === '' ? part : `${walked}.${part}`, shown) : '';
      const listing = walked === '' ? ` (defined here: ${known.join(', ') || 'none'})` : '';
      return { problem: { needle, message: `undefined template variable '${expression}'${hint}${hint ? '' : listing}` } };
    }
    walked = walked === '' ? part : index !== undefined ? `${walked}${part}` : `${walked}.${part}`;
  }
  return { value: current };
}
