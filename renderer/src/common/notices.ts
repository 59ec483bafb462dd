/**
 * Web mode's adapter for the core's notices (core/api/notifier.ts): the browser's Notification
 * API when the user allowed it (asked when they start their first run, never before), and the
 * app's own message line while the page is in view. The desktop app's main process shows them
 * with Electron's Notification instead (electron/notices.ts). No React here.
 */
import type { RunNotice } from '../../../core/api/types.ts';

/** The part of the browser's Notification API used here. */
export interface NotificationApi {
  readonly permission: NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
  new (title: string, options?: NotificationOptions): unknown;
}

export interface NoticeDeps {
  /** The browser's API, when it has one. */
  notifications: NotificationApi | undefined;
  /** Whether the page is in view. */
  visible: boolean;
  toast: (kind: 'info' | 'error', text: string) => void;
}

export function showNotice(notice: RunNotice, deps: NoticeDeps): void {
  const bad = notice.kind === 'first-failure' || (notice.kind === 'ended' && notice.state !== 'succeeded') || (notice.kind === 'away' && / failed$/.test(notice.title));
  if (deps.visible) deps.toast(bad ? 'error' : 'info', `${notice.title}${notice.body ? ` — ${notice.body}` : ''}`);
  if (deps.notifications?.permission === 'granted') new deps.notifications(notice.title, { body: notice.body, tag: `${notice.kind}:${notice.runId ?? ''}` });
}

/** Asks for permission to notify, once: when the user starts a run and has not been asked yet. */
export function askToNotify(notifications: NotificationApi | undefined): void {
  if (notifications?.permission === 'default') void notifications.requestPermission();
}

/** The browser's Notification API, if this page has one. */
export function browserNotifications(): NotificationApi | undefined {
  return typeof Notification === 'undefined' ? undefined : (Notification as unknown as NotificationApi);
}
