import { useEffect, useState } from 'react';
import { request } from './api.ts';
import { useApi, useNotify, useReportFailure } from './common/context.ts';
import type { Prompt, PromptAnswer } from '../../core/api/types.ts';

/** Questions from SSH (an unknown host key, a password or one-time code), one dialog at a time. */
export function PromptDialog() {
  const api = useApi();
  const report = useReportFailure();
  const notify = useNotify();
  const [prompts, setPrompts] = useState<Prompt[]>([]);
  const [answers, setAnswers] = useState<string[]>([]);

  useEffect(() => {
    const off = api.onEvent((event) => {
      if (event.type === 'prompt') setPrompts((list) => (list.some((p) => p.id === event.prompt.id) ? list : [...list, event.prompt]));
      else if (event.type === 'prompt-closed') setPrompts((list) => list.filter((p) => p.id !== event.id));
    });
    // Questions asked before this page connected.
    request(api, 'prompts.list', {})
      .then((pending) => setPrompts((list) => [...list, ...pending.filter((p) => !list.some((q) => q.id === p.id))]))
      .catch(report('The open questions could not be listed'));
    return off;
  }, [api, report]);

  const prompt = prompts[0];
  useEffect(() => setAnswers([]), [prompt?.id]);
  if (!prompt) return null;

  const answer = (value: PromptAnswer) => {
    setPrompts((list) => list.filter((p) => p.id !== prompt.id));
    request(api, 'prompts.answer', { id: prompt.id, answer: value })
      .then((result) => {
        if (!result.answered) notify('error', 'That question had already closed (it timed out or was answered elsewhere).');
      })
      .catch((error: Error) => notify('error', error.message));
  };

  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="prompt-title">
        {prompt.kind === 'host-key' ? (
          <>
            <h2 id="prompt-title">Unknown host key</h2>
            <p>
              <strong>{prompt.host}</strong> (port {prompt.port}) is not known. Its {prompt.keyType} key fingerprint is:
            </p>
            <p>
              <code className="fingerprint">{prompt.fingerprint}</code>
            </p>
            <p className="hint">Compare it with the one your cluster's documentation or administrator gives before trusting it.</p>
            <div className="row">
              <button className="primary" onClick={() => answer({ decision: 'accept-and-save' })}>
                Trust and remember
              </button>
              <button onClick={() => answer({ decision: 'accept-once' })}>Trust once</button>
              <button className="danger" onClick={() => answer({ decision: 'reject' })}>
                Refuse
              </button>
            </div>
          </>
        ) : (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              answer({ answers: prompt.kind === 'login' ? prompt.prompts.map((_, i) => answers[i] ?? '') : [answers[0] ?? ''] });
            }}
          >
            <h2 id="prompt-title">{prompt.kind === 'login' ? `Log in to ${prompt.host}` : 'Key passphrase'}</h2>
            {prompt.kind === 'login' && prompt.instructions && <p>{prompt.instructions}</p>}
            {(prompt.kind === 'login' ? prompt.prompts : [{ prompt: `Passphrase for ${prompt.keyFile}`, echo: false }]).map((p, i) => (
              <div className="field" key={i}>
                <label htmlFor={`prompt-${i}`}>{p.prompt.trim()}</label>
                <input id={`prompt-${i}`} type={p.echo ? 'text' : 'password'} autoComplete="off" autoFocus={i === 0} value={answers[i] ?? ''} onChange={(event) => setAnswers((list) => Object.assign([...list], { [i]: event.target.value }))} />
              </div>
            ))}
            <div className="row">
              <button type="submit" className="primary">
                Send
              </button>
              <button type="button" onClick={() => answer({ cancel: true })}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </div>
    </div>
  );
}
