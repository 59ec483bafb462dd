import { useEffect, useRef, useState } from 'react';
import { Terminal as XTerm } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { request } from '../api.ts';
import { useApi } from '../common/context.ts';

/**
 * A shell in the task's folder (a local pty, or over SSH on the task's cluster) in xterm.js.
 * Flow control: every chunk drawn is acknowledged, so the core pauses the shell while the
 * view is behind (core/api/terminal-port.ts).
 */
export function TaskTerminal({ run, task }: { run: string; task: string }) {
  const api = useApi();
  const box = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState('connecting…');

  useEffect(() => {
    const element = box.current!;
    const term = new XTerm({ convertEol: false, cursorBlink: true, fontFamily: 'ui-monospace, monospace', fontSize: 13, scrollback: 5000 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element);
    fit.fit();
    let channel: ReturnType<typeof api.terminal> | undefined;
    let closed = false;
    request(api, 'terminals.open', { run, task, cols: term.cols, rows: term.rows })
      .then(({ terminal, notices }) => {
        if (closed) return;
        for (const notice of notices) term.writeln(`\x1b[33mflotilla: ${notice}\x1b[0m`);
        channel = api.terminal(terminal);
        channel.onMessage((raw) => {
          const message = JSON.parse(raw) as { output?: string; exit?: { code: number | null; signal: string | null } };
          if (message.output !== undefined) {
            const size = message.output.length;
            term.write(message.output, () => channel?.send(JSON.stringify({ ack: size })));
          } else if (message.exit) {
            setStatus(`shell exited${message.exit.code !== null ? ` (${message.exit.code})` : message.exit.signal ? ` (${message.exit.signal})` : ''}`);
          }
        });
        channel.onClose(() => setStatus((current) => (current.startsWith('shell exited') ? current : 'disconnected')));
        setStatus('connected');
        term.focus();
      })
      .catch((error: Error) => {
        setStatus('failed');
        term.writeln(`\x1b[31mflotilla: ${error.message}\x1b[0m`);
      });
    const input = term.onData((data) => channel?.send(JSON.stringify({ input: data })));
    const resize = term.onResize(({ cols, rows }) => channel?.send(JSON.stringify({ resize: [cols, rows] })));
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(element);
    return () => {
      closed = true;
      observer.disconnect();
      input.dispose();
      resize.dispose();
      channel?.close();
      term.dispose();
    };
  }, [api, run, task]);

  return (
    <div className="terminal-tab">
      <div className="hint" role="status" aria-label="Terminal status">
        Terminal in the task's folder: {status}
      </div>
      <div className="terminal" ref={box} data-testid="terminal" />
    </div>
  );
}
