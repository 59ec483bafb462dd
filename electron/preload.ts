/**
 * The only door between the page and the main process: exactly the contract's `call`,
 * `onEvent` (and the menu's actions) returning an unsubscribe, a file picker, and terminal
 * channels. No Electron or Node object reaches the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { CHANNELS } from '../core/api/channels.ts';

function subscribe(channel: string, listener: (value: unknown) => void): () => void {
  const handler = (_event: IpcRendererEvent, value: unknown) => listener(value);
  ipcRenderer.on(channel, handler);
  return () => ipcRenderer.removeListener(channel, handler);
}

contextBridge.exposeInMainWorld('flotilla', {
  call: (method: string, args: unknown) => ipcRenderer.invoke(CHANNELS.call, String(method), args),
  onEvent: (listener: (event: unknown) => void) => subscribe(CHANNELS.event, listener),
  onMenu: (listener: (action: unknown) => void) => subscribe(CHANNELS.menu, listener),
  pickFile: (mode: 'open' | 'save') => ipcRenderer.invoke(CHANNELS.pickFile, mode === 'save' ? 'save' : 'open'),
  terminal: (id: string) => {
    const messages: ((message: string) => void)[] = [];
    const closes: (() => void)[] = [];
    const queue: string[] = [];
    let port: MessagePort | undefined;
    const onPort = (event: IpcRendererEvent, forId: unknown) => {
      if (forId !== id) return;
      ipcRenderer.removeListener(CHANNELS.terminalPort, onPort);
      port = event.ports[0];
      if (!port) return;
      port.onmessage = (message) => messages.forEach((listener) => listener(String(message.data)));
      port.addEventListener('close', () => closes.forEach((listener) => listener()));
      port.start();
      for (const message of queue.splice(0)) port.postMessage(message);
    };
    ipcRenderer.on(CHANNELS.terminalPort, onPort);
    ipcRenderer.send(CHANNELS.terminal, String(id));
    return {
      send: (message: string) => (port ? port.postMessage(String(message)) : queue.push(String(message))),
      onMessage: (listener: (message: string) => void) => messages.push(listener),
      onClose: (listener: () => void) => closes.push(listener),
      close: () => {
        port?.close();
        closes.forEach((listener) => listener());
      },
    };
  },
});
