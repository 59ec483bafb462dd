/**
 * The desktop app's adapter for the core's notices (core/api/notifier.ts): one system
 * notification each, through Electron's Notification (passed in, so this file loads without
 * Electron: test/electron/notices.test.ts); a click brings the window forward.
 */
import type { RunNotice } from '../core/api/types.ts';

/** What is used of Electron's Notification. */
export interface SystemNotification {
  on(event: 'click', listener: () => void): unknown;
  show(): void;
}

export interface SystemNotifications {
  isSupported(): boolean;
  make(options: { title: string; body: string; urgency: 'normal' | 'critical' }): SystemNotification;
}

export function showSystemNotice(notice: RunNotice, notifications: SystemNotifications, onClick: () => void): boolean {
  if (!notifications.isSupported()) return false;
  const failing = notice.kind === 'first-failure' || (notice.kind === 'ended' && notice.state !== 'succeeded');
  const shown = notifications.make({ title: notice.title, body: notice.body, urgency: failing ? 'critical' : 'normal' });
  shown.on('click', onClick);
  shown.show();
  return true;
}
