import type { WorkflowIssue } from '../../../core/api/types.ts';

/**
 * A workflow file that does not parse, shown as it is, read-only: numbered lines, each problem
 * under the line it is on, the first problem scrolled into view. Nothing here can change it.
 */
export function UnparsableText({ text, issues }: { text: string; issues: WorkflowIssue[] }) {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const byLine = new Map<number, string[]>();
  for (const issue of issues) if (issue.line !== undefined) byLine.set(issue.line, [...(byLine.get(issue.line) ?? []), issue.column ? `column ${issue.column}: ${issue.message}` : issue.message]);
  const first = Math.min(...byLine.keys());
  return (
    <div className="unparsable" role="region" aria-label="File text (read-only)">
      <p className="hint">This file does not parse, so it is shown as text and cannot be edited here: fix it in a text editor, then open it again.</p>
      <ol className="source">
        {lines.map((line, index) => {
          const problems = byLine.get(index + 1);
          return (
            <li key={index} className={problems ? 'bad' : undefined} ref={index + 1 === first ? (element) => element?.scrollIntoView({ block: 'center' }) : undefined}>
              <code>{line || ' '}</code>
              {problems?.map((problem) => (
                <span key={problem} className="line-problem" role="note">
                  {problem}
                </span>
              ))}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
