// @ts-check
// The console's shell: a hash router that shows one view at a time. Each view renders into <main> and
// returns how to stop it (views that poll the service stop when you leave them).
import { session } from './api.js';
import { renderSignIn } from './views/sign-in.js';
import { renderSources } from './views/sources.js';
import { renderAdd } from './views/add.js';
import { renderSource } from './views/source.js';
import { renderVerify } from './views/verify.js';

/** @typedef {(main: HTMLElement, params: string[]) => (void | (() => void))} View */

/** @type {[RegExp, View, string][]} */
const routes = [
  [/^#\/sources$/, renderSources, 'Data sources'],
  [/^#\/add$/, renderAdd, 'Add source'],
  [/^#\/sources\/([^/]+)$/, renderSource, 'Source'],
  [/^#\/sources\/([^/]+)\/verify$/, renderVerify, 'Verify pages'],
];

const main = /** @type {HTMLElement} */ (document.getElementById('view'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
/** @type {(() => void) | void} */
let stop;

function show() {
  if (stop) stop();
  const signedIn = Boolean(session.token());
  nav.hidden = !signedIn;
  if (!signedIn) {
    document.title = 'Sign in · Knowledge sync';
    stop = renderSignIn(main);
    return;
  }
  for (const [pattern, view, title] of routes) {
    const m = location.hash.match(pattern);
    if (!m) continue;
    document.title = `${title} · Knowledge sync`;
    for (const a of nav.querySelectorAll('a'))
      a.toggleAttribute('aria-current', a.getAttribute('href') === location.hash);
    stop = view(main, m.slice(1).map(decodeURIComponent));
    return;
  }
  location.replace('#/sources');
}

/** Moves focus to the new view so keyboard and screen-reader users land on it. */
function showAndFocus() {
  show();
  main.focus({ preventScroll: true });
}

document.getElementById('sign-out')?.addEventListener('click', () => {
  session.signOut();
  location.hash = '#/sources';
  show();
});
// A view that signs in or out, or meets a 401, asks the shell to draw again.
addEventListener('cks:session', show);
addEventListener('hashchange', showAndFocus);
show();
