// @ts-check
// A source's settings: schedule, scope (spaces from the site's own list) and credentials. Each form
// saves on its own; the service checks new credentials before it keeps them. The token field starts
// empty whatever is stored: the API never returns a token, and the console never shows one.
import { api } from '../api.js';
import { errorBox, h, replace } from '../dom.js';

/** @type {[string, string][]} */
const everyChoices = [
  ['1h', 'every hour'],
  ['4h', 'every 4 hours'],
  ['12h', 'every 12 hours'],
  ['1d', 'every day'],
];

/** @param {HTMLElement} root @param {import('./state.js').Source} s @param {(saved: import('./state.js').Source) => void} changed */
export function renderSettings(root, s, changed) {
  replace(root, schedule(s, changed), scope(s, changed), credentials(s, changed));
}

/**
 * A form that PATCHes what `read` returns and reports inline.
 * @param {string} id @param {string} title @param {(Node | null)[]} body @param {(form: HTMLFormElement) => Record<string, unknown>} read
 * @param {string} sourceId @param {(saved: import('./state.js').Source) => void} changed
 */
function settingsForm(id, title, body, read, sourceId, changed) {
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': id },
    h('h2', { id }, title),
    body,
    h('button', { type: 'submit' }, `Save ${title.toLowerCase()}`),
    status,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
    button.disabled = true;
    replace(status, h('p', {}, 'Saving…'));
    try {
      const saved = await api.updateSource(sourceId, read(form));
      replace(status, h('p', { class: 'notice', role: 'status' }, 'Saved.'));
      changed(saved);
    } catch (err) {
      replace(status, errorBox(/** @type {any} */ (err)));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** @param {import('./state.js').Source} s @param {(saved: import('./state.js').Source) => void} changed */
function schedule(s, changed) {
  const current = s.schedule?.every ?? '4h';
  const select = h(
    'select',
    { id: 'schedule-every', name: 'every' },
    everyChoices.map(([minutes, label]) =>
      h('option', { value: minutes, selected: minutes === current }, label),
    ),
    everyChoices.some(([m]) => m === current)
      ? null
      : h('option', { value: current, selected: true }, `every ${current}`),
  );
  return settingsForm(
    'schedule-title',
    'Schedule',
    [
      h('label', { for: 'schedule-every' }, 'Pull the whole site'),
      select,
      h(
        'p',
        { class: 'help' },
        'Start times are spread out so that sources on the same cadence do not all start at once. Pause stops the schedule.',
      ),
    ],
    () => ({ schedule: { every: select.value } }),
    s.id,
    changed,
  );
}

/** @param {import('./state.js').Source} s @param {(saved: import('./state.js').Source) => void} changed */
function scope(s, changed) {
  const current = s.scope ?? { include: [], exclude: [], archived: true };
  const mode = current.include.length ? 'include' : current.exclude.length ? 'exclude' : 'all';
  const chosen = new Set(mode === 'include' ? current.include : current.exclude);
  const modes = h(
    'fieldset',
    {},
    h('legend', {}, 'Spaces to pull'),
    [
      ['all', 'All spaces the account can read'],
      ['include', 'Only the spaces ticked below'],
      ['exclude', 'All but the spaces ticked below'],
    ].map(([value, label]) =>
      h(
        'label',
        { class: 'choice' },
        h('input', { type: 'radio', name: 'mode', value, checked: value === mode }),
        ` ${label}`,
      ),
    ),
  );
  const archived = h('input', {
    type: 'checkbox',
    id: 'scope-archived',
    name: 'archived',
    checked: current.archived !== false,
  });
  const spaces = h(
    'fieldset',
    { class: 'spaces', 'aria-busy': 'true' },
    h('legend', {}, 'The site’s spaces'),
    h('p', {}, 'Loading the site’s spaces…'),
  );
  api.listSpaces(s.id).then(
    (/** @type {{ spaces: { key: string, name: string, type?: string, status?: string }[] }} */ r) => {
      spaces.setAttribute('aria-busy', 'false');
      replace(
        spaces,
        h('legend', {}, 'The site’s spaces'),
        r.spaces.map((sp) =>
          h(
            'label',
            { class: 'choice' },
            h('input', { type: 'checkbox', name: 'space', value: sp.key, checked: chosen.has(sp.key) }),
            ` ${sp.name} `,
            h(
              'span',
              { class: 'muted' },
              `(${sp.key}${sp.type === 'personal' ? ', personal' : ''}${sp.status === 'archived' ? ', archived' : ''})`,
            ),
          ),
        ),
      );
    },
    (err) => replace(spaces, h('legend', {}, 'The site’s spaces'), errorBox(err)),
  );
  const read = (/** @type {HTMLFormElement} */ form) => {
    const data = new FormData(form);
    const picked = data.getAll('space').map(String);
    const m = String(data.get('mode'));
    return {
      scope: {
        include: m === 'include' ? picked : [],
        exclude: m === 'exclude' ? picked : [],
        archived: archived.checked,
      },
    };
  };
  return settingsForm(
    'scope-title',
    'Scope',
    [
      modes,
      spaces,
      h('label', { class: 'choice', for: 'scope-archived' }, archived, ' Include archived spaces'),
      h(
        'p',
        { class: 'help' },
        'A change takes effect at the next run: pages of spaces left out disappear when it goes live.',
      ),
    ],
    read,
    s.id,
    changed,
  );
}

/** @param {import('./state.js').Source} s @param {(saved: import('./state.js').Source) => void} changed */
function credentials(s, changed) {
  const email = h('input', {
    id: 'cred-email',
    name: 'email',
    type: 'email',
    value: s.email ?? '',
    autocomplete: 'off',
  });
  const token = h('input', {
    id: 'cred-token',
    name: 'token',
    type: 'password',
    value: '',
    autocomplete: 'new-password',
    placeholder: 'stored, never shown',
    'aria-describedby': 'cred-token-help',
  });
  return settingsForm(
    'cred-title',
    'Credentials',
    [
      h('label', { for: 'cred-email' }, 'Email'),
      email,
      h('label', { for: 'cred-token' }, 'API Token'),
      token,
      h(
        'p',
        { id: 'cred-token-help', class: 'help' },
        'A token is stored and is never shown. Type a new one to replace it; it is checked against the site before it is kept.',
      ),
    ],
    () => ({ email: email.value.trim(), ...(token.value.trim() ? { token: token.value.trim() } : {}) }),
    s.id,
    changed,
  );
}
