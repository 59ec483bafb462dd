import { useEffect, useState } from 'react';
import { request } from '../api.ts';
import { useApi, useNotify, useReportFailure } from '../common/context.ts';
import { dateTime } from '../common/format.ts';
import type { Example, RecentFile } from '../../../core/api/types.ts';
import { FileBrowser } from './FileBrowser.tsx';
import { PathForm } from './PathForm.tsx';

interface WelcomeProps {
  onOpen: (file: string) => void;
  onCreate: (file: string) => void;
  onRun: (run: string) => void;
}

/** The first screen: open or create a workflow (with a file browser), the recent ones with their last run, and the bundled examples. */
export function Welcome({ onOpen, onCreate, onRun }: WelcomeProps) {
  const api = useApi();
  const notify = useNotify();
  const report = useReportFailure();
  const [recent, setRecent] = useState<RecentFile[]>([]);
  const [examples, setExamples] = useState<Example[]>([]);
  useEffect(() => {
    request(api, 'workflows.recent', {}).then(setRecent).catch(report('The recent files could not be listed'));
    request(api, 'workflows.examples', {}).then(setExamples).catch(report('The examples could not be listed'));
  }, [api, report]);
  const openExample = (name: string) =>
    request(api, 'workflows.example', { name })
      .then((result) => onOpen(result.file))
      .catch((error: Error) => notify('error', error.message));
  return (
    <div className="welcome page" aria-label="Welcome">
      <h1>Start</h1>
      <div className="welcome-grid">
        <section aria-label="Open or create">
          <h2>Open or create a workflow</h2>
          <PathForm id="welcome-path" label="Workflow file" onOpen={onOpen} onCreate={onCreate} />
          <FileBrowser start={undefined} onOpen={onOpen} />
        </section>
        <div>
          <section aria-label="Recent workflows">
            <h2>Recent</h2>
            {recent.length === 0 ? (
              <p className="hint">Nothing yet: open an example, or a workflow file of yours.</p>
            ) : (
              <ul className="recent">
                {recent.map((entry) => (
                  <li key={entry.file}>
                    <button className="link mono" onClick={() => onOpen(entry.file)}>
                      {entry.file}
                    </button>{' '}
                    {entry.lastRun ? (
                      <button className={`pill run-${entry.lastRun.state}`} title={`Last run ${entry.lastRun.id}, ${dateTime(entry.lastRun.createdAt)}`} onClick={() => onRun(entry.lastRun!.id)}>
                        last run {entry.lastRun.state}
                      </button>
                    ) : (
                      <span className="hint">never run</span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-label="Examples">
            <h2>Examples</h2>
            <ul className="examples">
              {examples.map((example) => (
                <li key={example.name}>
                  <button className="link" onClick={() => void openExample(example.name)} aria-label={`Open the example ${example.name}`}>
                    {example.title}
                  </button>
                  <div className="hint">{example.description}</div>
                </li>
              ))}
            </ul>
            <p className="hint">An example opens as a copy in ~/flotilla-examples/, yours to change and run.</p>
          </section>
        </div>
      </div>
    </div>
  );
}
