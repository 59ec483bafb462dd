/**
 * The one contract between Flotilla's core and every front end (the CLI, web mode, the
 * desktop app): each operation by name, with a schema for its arguments; what each answers
 * and every event are core/api/types.ts. Results are `Result` values whose errors carry a
 * code of core/model/errors.ts. Hosts validate arguments against these schemas before
 * anything runs (a caller in the same process, typed by them, is checked by the compiler).
 *
 * Hosts also push events (`ServiceEvent`): task state changes and the runner's other events,
 * cluster status changes, questions (host keys, logins) that `prompts.answer` answers, and the
 * log lines of what `logs.follow` follows (to the connection that follows only).
 * A terminal is opened with `terminals.open`; its bytes then go through the host's own
 * channel for it (a WebSocket, a MessagePort), with flow control (core/api/terminal-port.ts).
 */
import { z } from 'zod';
import type { MethodResults, Result } from './types.ts';

export type { ApiError, Result, WorkflowIssue } from './types.ts';

const file = z.string().min(1).max(4096);
const taskId = z.string().min(1).max(4096);
/** Node positions on the editor's canvas, by node path. */
const layout = z.record(z.string().max(4096), z.object({ x: z.number().finite(), y: z.number().finite() }).strict());
const runRef = z.string().min(1).max(200).describe("a run id, a unique prefix of one, or 'last'");

export const METHODS = {
  'workflows.open': z.object({ file }).strict(),
  'workflows.save': z.object({ file, value: z.record(z.string(), z.unknown()), version: z.string().nullable(), layout: layout.optional() }).strict(),
  'workflows.check': z.object({ file, value: z.record(z.string(), z.unknown()) }).strict(),
  'workflows.recent': z.object({}).strict(),
  'workflows.examples': z.object({}).strict().describe('the bundled example workflows'),
  'workflows.example': z.object({ name: z.string().min(1).max(200) }).strict().describe("a bundled example, copied to ~/flotilla-examples/<name>/ (unless there already): its workflow file"),
  'files.list': z.object({ dir: file.optional().describe('default: the home folder') }).strict().describe('a folder\'s subfolders and workflow files (each said to load or not), for the Open dialog'),
  'workflows.validate': z.object({ file: z.string().min(1), params: z.record(z.string(), z.unknown()).optional() }).strict(),
  'workflows.commitOnSave': z.object({ file, on: z.boolean() }).strict().describe("whether the editor's saves of this file are committed to its git repository (off by default)"),
  'workflows.advice': z
    .object({ file, value: z.record(z.string(), z.unknown()).optional().describe('the file as edited (default: as saved)'), params: z.record(z.string(), z.unknown()).optional() })
    .strict()
    .describe("cluster tasks whose time limit is below what most of their past attempts took, each with a limit that would do"),
  'runs.list': z.object({ limit: z.number().int().min(1).max(10_000).optional(), file: file.optional().describe('only the runs of this workflow file') }).strict(),
  'runs.diff': z.object({ a: runRef, b: runRef }).strict().describe('what differs between two runs: params, the workflow file, outcomes and durations of their tasks'),
  'runs.status': z.object({ run: runRef }).strict(),
  'runs.outcome': z.object({ run: runRef, failures: z.number().int().min(0).max(1000).optional().describe('failed tasks named one by one (default 20)') }).strict(),
  'runs.graph': z.object({ run: runRef, from: z.number().int().min(0).optional().describe('only the tasks from this index on (what a run that grows added since)') }).strict(),
  'runs.attempts': z.object({ run: runRef }).strict(),
  'runs.forecast': z.object({ run: runRef, tasks: z.boolean().optional().describe("each open task's forecast start and end too") }).strict().describe('when the run will end, from how long its tasks took before'),
  'tasks.attempts': z.object({ run: runRef, task: z.string().min(1) }).strict(),
  'tasks.values': z.object({ run: runRef, task: z.string().min(1) }).strict().describe('what the task published: its latest successful attempt, or the one whose result a cached task reuses'),
  'runs.start': z
    .object({
      file: z.string().min(1),
      params: z.record(z.string(), z.unknown()).optional(),
      only: z.array(z.string().min(1)).optional(),
      upstream: z.boolean().optional(),
      downstream: z.boolean().optional(),
      fresh: z.boolean().optional(),
      maxParallel: z.number().int().min(1).optional(),
      workdir: z.string().min(1).max(4096).optional().describe('the run root (default: the workflow file\'s folder)'),
      explain: z.boolean().optional().describe('report, for each task, why it runs or is cached (`explain` events)'),
    })
    .strict(),
  'runs.cancel': z.object({ run: runRef, task: z.string().min(1).optional() }).strict(),
  'runs.resume': z.object({ run: runRef }).strict(),
  'runs.reattach': z.object({}).strict().describe('takes up the runs left running that nobody drives (at start): those with tasks to run here only if the user said so'),
  'runs.restartLocal': z.object({ choice: z.enum(['always', 'never']) }).strict().describe('whether interrupted runs with tasks to run here are taken up at start (and, if always, takes them up now)'),
  'runs.resubmit': z
    .object({ run: runRef, tasks: z.array(taskId).min(1).optional(), failed: z.boolean().optional(), downstream: z.boolean().optional(), preview: z.boolean().optional(), reload: z.boolean().optional().describe('take the commands (and the rest of each task but its dependencies) from the workflow file as it is now') })
    .strict()
    .refine((value) => (value.tasks !== undefined) !== (value.failed === true), { message: 'give either tasks or failed: true' }),
  'tasks.logs': z
    .object({
      run: runRef,
      task: z.string().min(1),
      attempt: z.number().int().min(1).optional(),
      stream: z.enum(['stdout', 'stderr']),
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(16 * 1024 * 1024).optional(),
      encoding: z.enum(['utf8', 'base64']).optional().describe("'base64': the bytes as written (a terminal's copy); default: text, cut at whole characters"),
    })
    .strict(),
  'logs.follow': z.object({ run: runRef, task: taskId, stream: z.enum(['stdout', 'stderr']), attempt: z.number().int().min(1).optional() }).strict(),
  'logs.unfollow': z.object({ follow: z.string().min(1).max(100) }).strict(),
  'terminals.open': z.object({ run: runRef, task: taskId, cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(1000) }).strict(),
  'clusters.list': z.object({}).strict(),
  'clusters.connect': z.object({ destination: z.string().min(1).max(1024) }).strict(),
  'clusters.queue': z.object({ destination: z.string().min(1).max(1024) }).strict(),
  'prompts.list': z.object({}).strict(),
  'prompts.answer': z
    .object({
      id: z.string().min(1).max(100),
      answer: z.union([
        z.object({ decision: z.enum(['accept-once', 'accept-and-save', 'reject']) }).strict(),
        z.object({ answers: z.array(z.string().max(4096)).max(20) }).strict(),
        z.object({ cancel: z.literal(true) }).strict(),
      ]),
    })
    .strict(),
} as const;

export type MethodName = keyof typeof METHODS;
export type MethodArgs<M extends MethodName> = z.infer<(typeof METHODS)[M]>;
/** What a method answers (core/api/types.ts; a method without an entry there does not compile). */
export type MethodResult<M extends MethodName> = MethodResults[M];

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
