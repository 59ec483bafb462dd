/**
 * The desktop app's main process: hosts the core (the same FlotillaService web mode hosts)
 * and one window that shows the renderer. The window is sandboxed with context isolation and
 * no Node; it reaches the core only through the preload's `window.flotilla`, whose every
 * call main checks (the sender is our page) and validates (the contract's schemas) before
 * anything runs. Terminal bytes go through a MessagePort of their own, with flow control.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, MessageChannelMain, net, Notification, protocol, session, shell } from 'electron';
import type { IpcMainEvent, IpcMainInvokeEvent, MenuItemConstructorOptions, WebContents } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHANNELS } from '../core/api/channels.ts';
import type { MenuAction } from '../core/api/channels.ts';
import { openInteractiveCore } from '../core/host/app-core.ts';
import { contentSecurityPolicy } from '../core/host/csp.ts';
import { bridgeTerminal } from '../core/api/terminal-port.ts';
import { showSystemNotice } from './notices.ts';
import { Preferences } from './preferences.ts';

/** This bundle's folder: out/electron (beside out/renderer). */
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The renderer is served from app://flotilla/ (a standard, secure scheme: no file:// access for the page). */
const ORIGIN = 'app://flotilla';
const RENDERER = path.join(HERE, '../renderer');
const CSP = contentSecurityPolicy();

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start();
}

async function start(): Promise<void> {
  await app.whenReady();
  const preferences = new Preferences();
  const core = openInteractiveCore();
  const { service } = core;

  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    const file = path.resolve(RENDERER, `.${decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)}`);
    if (url.host !== 'flotilla' || !file.startsWith(RENDERER + path.sep)) return new Response('not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).href);
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });

  // Nothing the page asks for (camera, notifications, …) is granted.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const isOurs = (contents: WebContents, frameUrl: string | undefined) => window !== undefined && contents === window.webContents && (frameUrl ?? '').startsWith(`${ORIGIN}/`);
  const checkSender = (event: IpcMainInvokeEvent | IpcMainEvent) => {
    if (!isOurs(event.sender, event.senderFrame?.url)) throw new Error('refused: not the Flotilla window');
  };

  ipcMain.handle(CHANNELS.call, async (event, method: unknown, args: unknown) => {
    checkSender(event);
    // `call` validates the method name and the arguments against the contract's schemas.
    const result = await service.call(method, args, { session: `window-${event.sender.id}` });
    // The core keeps the recent files (workflows.recent); the menu shows the same list.
    if (result.ok && (method === 'workflows.open' || method === 'workflows.save')) void buildMenu();
    return result;
  });
  /** A workflow file chosen in the system's dialog, or undefined. */
  const chooseWorkflow = async (mode: 'open' | 'save'): Promise<string | undefined> => {
    if (!window) return undefined;
    const filters = [{ name: 'Workflows', extensions: ['yaml', 'yml', 'json'] }];
    if (mode === 'save') {
      const chosen = await dialog.showSaveDialog(window, { filters, defaultPath: 'workflow.yaml' });
      return chosen.canceled ? undefined : chosen.filePath;
    }
    const chosen = await dialog.showOpenDialog(window, { filters, properties: ['openFile'] });
    return chosen.canceled ? undefined : chosen.filePaths[0];
  };
  ipcMain.handle(CHANNELS.pickFile, (event, mode: unknown) => {
    checkSender(event);
    return chooseWorkflow(mode === 'save' ? 'save' : 'open');
  });
  ipcMain.on(CHANNELS.terminal, (event, id: unknown) => {
    // A listener (not a handler): a refusal is a silent drop, since throwing here would be the main process's own error.
    if (!isOurs(event.sender, event.senderFrame?.url)) return;
    const terminal = typeof id === 'string' ? service.attachTerminal(id) : undefined;
    const { port1, port2 } = new MessageChannelMain();
    if (!terminal) {
      port1.postMessage(JSON.stringify({ exit: { code: null, signal: 'no such terminal' } }));
      port1.close();
    } else {
      const bridge = bridgeTerminal(terminal, (message) => port1.postMessage(message));
      port1.on('message', (message) => bridge.receive(String(message.data)));
      port1.on('close', () => bridge.close());
      port1.start();
    }
    event.sender.postMessage(CHANNELS.terminalPort, id, [port2]);
  });
  service.onEvent((event) => {
    if (event.type === 'notice') {
      showSystemNotice(event, { isSupported: () => Notification.isSupported(), make: (options) => new Notification(options) }, () => {
        window?.show();
        window?.focus();
      });
    }
    if (event.type === 'log' && (!window || event.session !== `window-${window.webContents.id}`)) return;
    window?.webContents.send(CHANNELS.event, event);
  });

  let window: BrowserWindow | undefined;
  const open = () => {
    const bounds = preferences.get('windowBounds');
    window = new BrowserWindow({
      ...(bounds ?? { width: 1400, height: 900 }),
      minWidth: 900,
      minHeight: 600,
      title: 'Flotilla',
      show: false,
      webPreferences: {
        preload: path.join(HERE, 'preload.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        experimentalFeatures: false,
        webviewTag: false,
        spellcheck: false,
        disableBlinkFeatures: 'Auxclick',
      },
    });
    window.once('ready-to-show', () => window?.show());
    window.on('close', () => window && preferences.set('windowBounds', window.getNormalBounds()));
    const session = `window-${window.webContents.id}`;
    window.webContents.on('did-navigate', () => service.endSession(session));
    window.on('closed', () => {
      service.endSession(session);
      window = undefined;
    });
    void window.loadURL(`${ORIGIN}/index.html`);
  };

  // Guards for every page: no navigation away, no new windows (links open in the browser), no webviews.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!url.startsWith(`${ORIGIN}/`)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!url.startsWith(`${ORIGIN}/`)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });

  const menuAction = (action: MenuAction) => window?.webContents.send(CHANNELS.menu, action);
  async function buildMenu(): Promise<void> {
    const listed = await service.invoke('workflows.recent', {});
    const recent = listed.ok ? listed.value.map((entry) => entry.file) : [];
    if (recent[0]) app.addRecentDocument(recent[0]);
    const template: MenuItemConstructorOptions[] = [
      ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
      {
        label: 'File',
        submenu: [
          {
            label: 'Open…',
            accelerator: 'CmdOrCtrl+O',
            click: async () => {
              const file = await chooseWorkflow('open');
              if (file) menuAction({ action: 'open', file });
            },
          },
          { label: 'Open Recent', submenu: recent.length > 0 ? recent.map((file) => ({ label: file, click: () => menuAction({ action: 'open', file }) })) : [{ label: 'None', enabled: false }] },
          { label: 'Save', accelerator: 'CmdOrCtrl+S', click: () => menuAction({ action: 'save' }) },
          { type: 'separator' },
          { label: 'Run', accelerator: 'CmdOrCtrl+Enter', click: () => menuAction({ action: 'run' }) },
          { type: 'separator' },
          { role: process.platform === 'darwin' ? 'close' : 'quit' },
        ],
      },
      { role: 'editMenu' },
      { label: 'View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }, ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }])] },
      { role: 'windowMenu' },
    ];
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  }
  void buildMenu();
  open();

  app.on('second-instance', () => {
    if (!window) return open();
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('activate', () => {
    if (!window) open();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // (The store stays open: runs this process drives may record a last end on the way out.)
  app.on('will-quit', () => core.close({ store: false }));
}
