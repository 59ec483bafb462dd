import { request } from '../api.ts';
import { useApi, useNotify } from '../common/context.ts';
import { useEditorStores, useView } from './editor-context.ts';

/** The open file's "commit each save to git" setting (off unless turned on), where its repository is. */
export function GitSetting() {
  const api = useApi();
  const notify = useNotify();
  const { view } = useEditorStores();
  const opened = useView((state) => state.opened);
  const git = opened?.git;
  if (!opened || !git) return null;
  return (
    <fieldset>
      <legend>Git</legend>
      {git.repository === null ? (
        <p className="hint">Not in a git repository: each run still records this file's text and hash.</p>
      ) : (
        <label className="row">
          <input
            type="checkbox"
            checked={git.commitOnSave}
            onChange={(event) => {
              const on = event.target.checked;
              const show = (saving: typeof git) => {
                const current = view.getState().opened;
                if (current?.file === opened.file) view.getState().saved({ ...current, git: saving }, view.getState().issues);
              };
              // Shown at once; the core's answer (or the setting as it was, if it failed) follows.
              show({ ...git, commitOnSave: on });
              void request(api, 'workflows.commitOnSave', { file: opened.file, on })
                .then(show)
                .catch((error: Error) => {
                  show(git);
                  notify('error', error.message);
                });
            }}
          />
          Commit each save to git (in {git.repository}); runs show the commit they ran
        </label>
      )}
    </fieldset>
  );
}
