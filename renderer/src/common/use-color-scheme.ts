import { useSyncExternalStore } from 'react';

const darkQuery = () => matchMedia('(prefers-color-scheme: dark)');

/** Calls `onChange` when the theme switch (`data-theme` on the root) or the system's scheme changes. */
function subscribe(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  const query = darkQuery();
  query.addEventListener('change', onChange);
  return () => {
    observer.disconnect();
    query.removeEventListener('change', onChange);
  };
}

function scheme(): 'light' | 'dark' {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === 'light' || chosen === 'dark') return chosen;
  return darkQuery().matches ? 'dark' : 'light';
}

/**
 * The colour scheme the page is drawn in. What paints by itself (a canvas) reads the page's
 * colours again when it changes; the elements follow their styles on their own.
 */
export function useColorScheme(): 'light' | 'dark' {
  return useSyncExternalStore(subscribe, scheme);
}
