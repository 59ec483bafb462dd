import { useEffect, useState } from 'react';
import { request } from './api.ts';
import { useApi, useNotify } from './common/context.ts';
import type { InterruptedRun } from '../../core/api/types.ts';

/**
 * At start, the core takes up again the runs left running (their clusters are watched at once);
 * runs that would also restart tasks on this machine wait for the user's word, asked once here
 * and kept as a setting.
 */
export function ReattachBanner({ onOpen }: { onOpen: (run: string) => void }) {
  const api = useApi();
  const notify = useNotify();
  const [waiting, setWaiting] = useState<InterruptedRun[]>([]);
  useEffect(() => {
    let live = true;
    request(api, 'runs.reattach', {})
      .then((result) => {
        if (!live) return;
        if (result.attached.length > 0) notify('info', `Watching again ${result.attached.length} run${result.attached.length === 1 ? '' : 's'} left running: ${result.attached.join(', ')}`);
        setWaiting(result.waiting);
      })
      .catch((error: Error) => notify('error', error.message));
    return () => {
      live = false;
    };
  }, [api, notify]);
  if (waiting.length === 0) return null;
  const choose = (choice: 'always' | 'never') =>
    request(api, 'runs.restartLocal', { choice })
      .then((result) => {
        setWaiting([]);
        if (result.attached.length > 0) notify('info', `Resumed ${result.attached.join(', ')}`);
      })
      .catch((error: Error) => notify('error', error.message));
  return (
    <div className="banner" role="alertdialog" aria-label="Interrupted runs">
      <span>
        {waiting.length === 1 ? 'A run was' : `${waiting.length} runs were`} left running with tasks to run on this machine:{' '}
        {waiting.map((each, i) => (
          <span key={each.run}>
            {i > 0 && ', '}
            <button className="link mono" onClick={() => onOpen(each.run)}>
              {each.name} {each.run}
            </button>
          </span>
        ))}
        . Restart such tasks by themselves whenever Flotilla starts?
      </span>
      <button className="primary" onClick={() => void choose('always')}>
        Always (resume now)
      </button>
      <button onClick={() => void choose('never')}>Never: I resume them myself</button>
    </div>
  );
}
