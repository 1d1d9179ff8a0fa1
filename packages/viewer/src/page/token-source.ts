// Where the page gets the cluster's token: the URL fragment (`#token=...`, never sent to the server), the tab's
// session storage (a reload keeps it), or a prompt. The fragment is taken out of the address bar once read.

const STORAGE_KEY = 'statemesh-viewer-token';

/** Fragment parameters of the page's URL (`#token=...&volume=...`). */
export function fragmentParameters(): URLSearchParams {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

/** The token for this tab, or undefined when the user gave none. */
export function takeToken(): string | undefined {
  const fromFragment = fragmentParameters().get('token');
  if (fromFragment !== null && fromFragment !== '') {
    remember(fromFragment);
    const rest = fragmentParameters();
    rest.delete('token');
    const hash = rest.toString();
    history.replaceState(null, '', `${location.pathname}${location.search}${hash === '' ? '' : `#${hash}`}`);
    return fromFragment;
  }
  const stored = sessionStorage.getItem(STORAGE_KEY);
  if (stored !== null && stored !== '') return stored;
  const typed = prompt('statemesh viewer: the cluster\'s token (printed by `statemesh node --web`)');
  if (typed === null || typed === '') return undefined;
  remember(typed);
  return typed;
}

/** Forgets the stored token (after the node refused it). */
export function forgetToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

function remember(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token);
}
