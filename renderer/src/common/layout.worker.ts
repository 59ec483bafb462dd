/**
 * Lays graphs out off the page's main thread, so a big graph's layout never freezes the
 * interface (see use-layout.ts). One request in, its boxes out, tagged with the request's id.
 */
import { autoLayout } from './layout.ts';
import type { LayoutReply, LayoutRequest } from './use-layout.ts';

// (The renderer's types describe a page; this file runs as a dedicated worker.)
const scope = self as unknown as { onmessage: ((event: MessageEvent<LayoutRequest>) => void) | null; postMessage(reply: LayoutReply): void };

scope.onmessage = (event) => {
  const { id, input } = event.data;
  const boxes = autoLayout({ ...input, collapsed: new Set(input.collapsed) });
  scope.postMessage({ id, boxes: [...boxes] });
};
