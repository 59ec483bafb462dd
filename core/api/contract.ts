/**
 * The one contract between Flotilla's core and every front end (the CLI, web mode, the
 * desktop app): each operation by name, with a schema for its arguments, and results as
 * `Result` values whose errors carry a string code. Hosts validate arguments against these
 * schemas before anything runs.
 *
 * So far: workflows (validate), runs (list, status, start, cancel, resume, resubmit) and tasks
 * (attempts, logs); hosts also push the runner's events. Workflow editing, clusters and prompts
 * come next, on the same pattern.
 */
import { z } from 'zod';

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export interface ApiError {
  /** Stable, for programs: `bad-arguments`, `invalid-workflow`, `no-such-run`, `no-such-task`, `unknown-method`, `internal`. */
  code: string;
  message: string;
  /** For `invalid-workflow`: each problem with its place. */
  issues?: { file: string; line?: number; column?: number; message: string }[];
}

const runRef = z.string().min(1).max(200).describe("a run id, a unique prefix of one, or 'last'");

export const METHODS = {
  'workflows.validate': z.object({ file: z.string().min(1), params: z.record(z.string(), z.unknown()).optional() }).strict(),
  'runs.list': z.object({ limit: z.number().int().min(1).max(10_000).optional() }).strict(),
  'runs.status': z.object({ run: runRef }).strict(),
  'tasks.attempts': z.object({ run: runRef, task: z.string().min(1) }).strict(),
  'runs.start': z
    .object({
      file: z.string().min(1),
      params: z.record(z.string(), z.unknown()).optional(),
      only: z.array(z.string().min(1)).optional(),
      upstream: z.boolean().optional(),
      downstream: z.boolean().optional(),
      fresh: z.boolean().optional(),
      maxParallel: z.number().int().min(1).optional(),
    })
    .strict(),
  'runs.cancel': z.object({ run: runRef, task: z.string().min(1).optional() }).strict(),
  'runs.resume': z.object({ run: runRef }).strict(),
  'runs.resubmit': z
    .object({ run: runRef, tasks: z.array(z.string().min(1)).min(1).optional(), failed: z.boolean().optional(), downstream: z.boolean().optional() })
    .strict()
    .refine((value) => (value.tasks !== undefined) !== (value.failed === true), { message: 'give either tasks or failed: true' }),
  'tasks.logs': z.object({ run: runRef, task: z.string().min(1), attempt: z.number().int().min(1).optional(), stream: z.enum(['stdout', 'stderr']), offset: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(16 * 1024 * 1024).optional() }).strict(),
} as const;

export type MethodName = keyof typeof METHODS;
export type MethodArgs<M extends MethodName> = z.infer<(typeof METHODS)[M]>;

export function isMethod(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(METHODS, name);
}

/** Checks a call's arguments; a bad one is a `bad-arguments` error naming the field. */
export function parseArgs<M extends MethodName>(method: M, args: unknown): Result<MethodArgs<M>> {
  const parsed = METHODS[method].safeParse(args ?? {});
  if (parsed.success) return { ok: true, value: parsed.data as MethodArgs<M> };
  const first = parsed.error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return { ok: false, error: { code: 'bad-arguments', message: `${method}: ${where}${first?.message ?? 'invalid arguments'}` } };
}
