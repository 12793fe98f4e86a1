// @ts-check
// Sign-in: the admin token the service reads from its token file. It is checked against the API
// before it is kept for this tab.
import { api, session } from '../api.js';
import { errorBox, h, replace } from '../dom.js';

/** @param {HTMLElement} main */
export function renderSignIn(main) {
  const input = h('input', {
    id: 'admin-token',
    name: 'token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'aria-describedby': 'admin-token-help',
  });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        const token = input.value.trim();
        replace(status, h('p', {}, 'Checking…'));
        try {
          await api.checkToken(token);
          session.signIn(token);
          dispatchEvent(new Event('cks:session'));
        } catch (err) {
          const e2 = /** @type {import('../api.js').ApiError} */ (err);
          replace(
            status,
            errorBox(
              e2.status === 401
                ? {
                    message: 'That admin token is not the one the service uses.',
                    hint: e2.hint ?? 'Copy it again from the service’s admin token file.',
                  }
                : e2,
            ),
          );
          input.focus();
        }
      },
    },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'admin-token' }, 'Admin token'),
    input,
    h(
      'p',
      { id: 'admin-token-help', class: 'help' },
      'The token in the file the sources service reads at start (SOURCES_ADMIN_TOKEN_FILE). It stays in this tab only.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  replace(main, form);
  input.focus();
}
