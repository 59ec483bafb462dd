/**
 * The desktop app's notices, with a stand-in for Electron's Notification (the Electron binary
 * cannot run here): each notice is one system notification, failures urgent, a click brings
 * the window forward; nothing where the system has no notifications.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunNotice } from '../../core/api/types.ts';
import { showSystemNotice } from '../../electron/notices.ts';

/** A stand-in for Electron's Notification: records what was made and shown. */
function fakeNotifications(supported = true) {
  const made: { options: { title: string; body: string; urgency: string }; shown: boolean; click?: () => void }[] = [];
  return {
    made,
    isSupported: () => supported,
    make: (options: { title: string; body: string; urgency: 'normal' | 'critical' }) => {
      const entry: (typeof made)[number] = { options, shown: false };
      made.push(entry);
      return {
        on: (_event: 'click', listener: () => void) => (entry.click = listener),
        show: () => (entry.shown = true),
      };
    },
  };
}

describe("the desktop app's notices", () => {
  it('shows each notice once, a failure as urgent, and brings the window forward on a click', () => {
    const system = fakeNotifications();
    let clicked = 0;
    const ended: RunNotice = { type: 'notice', kind: 'ended', runId: 'r1', title: 'md-sweep failed — sim[3] failed', body: '11 succeeded, 1 failed', state: 'failed' };
    assert.equal(showSystemNotice(ended, system, () => clicked++), true);
    assert.deepEqual(system.made.map((entry) => [entry.options, entry.shown]), [[{ title: 'md-sweep failed — sim[3] failed', body: '11 succeeded, 1 failed', urgency: 'critical' }, true]]);
    system.made[0]!.click!();
    assert.equal(clicked, 1);
    showSystemNotice({ ...ended, state: 'succeeded', title: 'md-sweep succeeded' }, system, () => clicked++);
    assert.equal(system.made[1]!.options.urgency, 'normal');
  });

  it('shows nothing where the system has no notifications', () => {
    const system = fakeNotifications(false);
    assert.equal(showSystemNotice({ type: 'notice', kind: 'away', runId: null, title: 'while you were away: 3 tasks finished', body: '' }, system, () => undefined), false);
    assert.equal(system.made.length, 0);
  });
});
