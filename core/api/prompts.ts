/**
 * Questions the SSH layer asks (trust this host key? the one-time code?) turned into events
 * a user interface shows as dialogs, and answers coming back by id. A question nobody answers
 * in time is refused: an unknown key is not trusted, a login is cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { HostKeyDecision, HostKeyPolicy, LoginPrompt, Prompter } from '../ssh/ports.ts';
import type { Prompt, PromptAnswer } from './types.ts';

type PromptBody = Prompt extends infer P ? (P extends Prompt ? Omit<P, 'id' | 'at'> : never) : never;

export class PromptBroker implements HostKeyPolicy, Prompter {
  private readonly open = new Map<string, { prompt: Prompt; settle: (answer: PromptAnswer | undefined) => void; timer: NodeJS.Timeout }>();
  private readonly listeners = new Set<(event: { type: 'prompt'; prompt: Prompt } | { type: 'prompt-closed'; id: string }) => void>();
  private readonly timeoutMs: number;

  constructor(options: { timeoutMs?: number } = {}) {
    this.timeoutMs = options.timeoutMs ?? 5 * 60_000;
  }

  /** Hears new questions and questions that closed (answered, refused or timed out). */
  onEvent(listener: (event: { type: 'prompt'; prompt: Prompt } | { type: 'prompt-closed'; id: string }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Questions waiting for an answer (for an interface that connects late). */
  pending(): Prompt[] {
    return [...this.open.values()].map((entry) => entry.prompt);
  }

  /** Answers a question; false when it is not open any more. */
  answer(id: string, answer: PromptAnswer): boolean {
    const entry = this.open.get(id);
    if (!entry) return false;
    entry.settle(answer);
    return true;
  }

  async unknownHost(key: { host: string; port: number; type: string; fingerprint: string }): Promise<HostKeyDecision> {
    const answer = await this.ask({ kind: 'host-key', host: key.host, port: key.port, keyType: key.type, fingerprint: key.fingerprint });
    return answer && 'decision' in answer ? answer.decision : 'reject';
  }

  async keyboardInteractive(request: { host: string; user: string; name: string; instructions: string; prompts: LoginPrompt[] }): Promise<string[] | undefined> {
    const answer = await this.ask({ kind: 'login', host: request.host, user: request.user, name: request.name, instructions: request.instructions, prompts: request.prompts });
    return answer && 'answers' in answer && answer.answers.length === request.prompts.length ? answer.answers : undefined;
  }

  async passphrase(request: { host: string; user: string; keyFile: string }): Promise<string | undefined> {
    const answer = await this.ask({ kind: 'passphrase', host: request.host, user: request.user, keyFile: request.keyFile });
    return answer && 'answers' in answer ? answer.answers[0] : undefined;
  }

  /** Refuses every open question (shutdown). */
  close(): void {
    for (const entry of [...this.open.values()]) entry.settle(undefined);
  }

  private ask(body: PromptBody): Promise<PromptAnswer | undefined> {
    const prompt = { ...body, id: randomUUID(), at: Date.now() } as Prompt;
    return new Promise((resolve) => {
      const settle = (answer: PromptAnswer | undefined) => {
        clearTimeout(timer);
        this.open.delete(prompt.id);
        for (const listener of this.listeners) listener({ type: 'prompt-closed', id: prompt.id });
        resolve(answer);
      };
      const timer = setTimeout(() => settle(undefined), this.timeoutMs);
      this.open.set(prompt.id, { prompt, settle, timer });
      for (const listener of this.listeners) listener({ type: 'prompt', prompt });
    });
  }
}
