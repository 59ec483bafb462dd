import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FlotillaApi } from './api.ts';
import { ApiContext, NoticeContext } from './common/context.ts';
import type { Notice } from './common/context.ts';
import { ClustersView } from './ClustersView.tsx';
import { Editor } from './editor/Editor.tsx';
import { CompareView } from './monitor/CompareView.tsx';
import { History } from './monitor/History.tsx';
import { Monitor } from './monitor/Monitor.tsx';
import { PromptDialog } from './PromptDialog.tsx';
import { ReattachBanner } from './ReattachBanner.tsx';
import { browserNotifications, showNotice } from './common/notices.ts';
import { parseRoute, routeHash } from './route.ts';
import type { Route } from './route.ts';

type Theme = 'system' | 'light' | 'dark';

export function App({ api }: { api: FlotillaApi }) {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [connected, setConnected] = useState(true);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('flotilla-theme') as Theme | null) ?? 'system');
  const nextNotice = useRef(1);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => api.onConnection(setConnected), [api]);
  useEffect(() => {
    localStorage.setItem('flotilla-theme', theme);
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);

  // The editor tab (and Alt+1) comes back to the file last edited, whose unsaved edits are kept.
  const lastEditor = useRef<Route>(route.view === 'editor' ? route : { view: 'editor' });
  if (route.view === 'editor') lastEditor.current = route;

  const navigate = useCallback((next: Route) => {
    const hash = routeHash(next);
    if (location.hash !== hash) location.hash = hash;
    setRoute(next);
  }, []);

  const notify = useCallback((kind: Notice['kind'], text: string) => {
    const id = nextNotice.current++;
    setNotices((list) => [...list.slice(-3), { id, kind, text }]);
    setTimeout(() => setNotices((list) => list.filter((notice) => notice.id !== id)), kind === 'error' ? 10_000 : 4000);
  }, []);

  // The core's notices: in web mode the browser's notifications (the desktop app's main process shows its own).
  useEffect(() => {
    if (api.mode !== 'web') return;
    return api.onEvent((event) => {
      if (event.type === 'notice') showNotice(event, { notifications: browserNotifications(), visible: document.visibilityState === 'visible', toast: notify });
    });
  }, [api, notify]);

  // Alt+1/2/3 switch views.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const views: Route[] = [{ view: 'editor' }, { view: 'runs' }, { view: 'clusters' }];
      const index = ['1', '2', '3'].indexOf(event.key);
      if (index >= 0) {
        event.preventDefault();
        navigate(index === 0 ? lastEditor.current : views[index]!);
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [navigate, route]);

  const openFile = useCallback((file: string) => navigate({ view: 'editor', file }), [navigate]);
  const editFromRun = useCallback((file: string, run: string) => navigate({ view: 'editor', file, from: run }), [navigate]);
  const openRun = useCallback((run: string) => navigate({ view: 'runs', run }), [navigate]);
  const allRuns = useCallback(() => navigate({ view: 'runs' }), [navigate]);

  const tabs = useMemo(
    () =>
      [
        ['editor', 'Editor', 'Alt+1'],
        ['runs', 'Runs', 'Alt+2'],
        ['clusters', 'Clusters', 'Alt+3'],
      ] as const,
    [],
  );

  return (
    <ApiContext.Provider value={api}>
      <NoticeContext.Provider value={notify}>
        <div className="app">
          <header className="topbar">
            <span className="brand">Flotilla</span>
            <nav role="tablist" aria-label="Views">
              {tabs.map(([view, label, key]) => (
                <button key={view} role="tab" aria-selected={route.view === view || (route.view === 'compare' && view === 'runs')} title={key} onClick={() => navigate(view === 'editor' ? lastEditor.current : ({ view } as Route))}>
                  {label}
                </button>
              ))}
            </nav>
            <span className="spacer" />
            {api.mode === 'web' && <span className="mode" title="The core runs in web mode on this machine">web mode</span>}
            <span className={`connection ${connected ? 'online' : 'offline'}`} role="status">
              {connected ? 'core connected' : 'core unreachable — retrying'}
            </span>
            <select aria-label="Theme" value={theme} onChange={(event) => setTheme(event.target.value as Theme)}>
              <option value="system">System theme</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </header>
          <ReattachBanner onOpen={openRun} />
          <main className="content">
            {route.view === 'editor' && <Editor file={route.file} from={route.from} onFile={openFile} onRun={openRun} />}
            {route.view === 'runs' && (route.run ? <Monitor run={route.run} at={route.at} onBack={allRuns} onEdit={(file) => editFromRun(file, route.run!)} /> : <History onOpen={openRun} onCompare={(a, b) => navigate({ view: 'compare', a, b })} />)}
            {route.view === 'compare' && <CompareView a={route.a} b={route.b} onOpen={openRun} onBack={allRuns} />}
            {route.view === 'clusters' && <ClustersView />}
          </main>
          <div className="notices" aria-live="polite">
            {notices.map((notice) => (
              <div key={notice.id} className={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
                {notice.text}
              </div>
            ))}
          </div>
          <PromptDialog />
        </div>
      </NoticeContext.Provider>
    </ApiContext.Provider>
  );
}
