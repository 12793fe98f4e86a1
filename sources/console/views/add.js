// @ts-check
// Add source → Confluence: exactly three fields. Connect asks the service to check the credentials
// against the site first; when the check fails its message shows here and nothing is stored.
import { api } from '../api.js';
import { errorBox, h, replace } from '../dom.js';

/** @type {{ name: string, label: string, type: string, help: string, placeholder?: string, autocomplete: string }[]} */
const fields = [
  {
    name: 'domain',
    label: 'Domain',
    type: 'text',
    help: 'Your Atlassian instance domain, without https:// — for example yourcompany.atlassian.net.',
    placeholder: 'yourcompany.atlassian.net',
    autocomplete: 'off',
  },
  {
    name: 'email',
    label: 'Email',
    type: 'email',
    help: 'The Atlassian account the API token belongs to.',
    autocomplete: 'off',
  },
  {
    name: 'token',
    label: 'API Token',
    type: 'password',
    help: 'Create one at id.atlassian.com → Security → API tokens, signed in as the account above. It needs read access to Confluence.',
    autocomplete: 'new-password',
  },
];

/** @param {HTMLElement} main */
export function renderAdd(main) {
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Connect');
  const form = h(
    'form',
    { class: 'card narrow', novalidate: false },
    h('h1', {}, 'Add source: Confluence'),
    fields.flatMap((f) => [
      h('label', { for: `add-${f.name}` }, f.label),
      h('input', {
        id: `add-${f.name}`,
        name: f.name,
        type: f.type,
        required: true,
        autocomplete: f.autocomplete,
        spellcheck: 'false',
        placeholder: f.placeholder ?? null,
        'aria-describedby': `add-${f.name}-help`,
      }),
      h('p', { id: `add-${f.name}-help`, class: 'help' }, f.help),
    ]),
    submit,
    status,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const site = String(data.get('domain') ?? '').trim();
    const input = {
      // A full address (a simulator, a proxy, a site served elsewhere) goes as the site root; the
      // service checks either form and names the fix.
      ...(/^https?:\/\//i.test(site) ? { baseUrl: site } : { domain: site }),
      email: String(data.get('email') ?? '').trim(),
      token: String(data.get('token') ?? '').trim(),
    };
    submit.disabled = true;
    replace(status, h('p', {}, `Checking ${site}…`));
    try {
      const source = await api.createSource(input);
      location.hash = `#/sources/${encodeURIComponent(source.id)}`;
    } catch (err) {
      replace(status, errorBox(/** @type {any} */ (err)));
      /** @type {HTMLElement | null} */ (status.querySelector('[role=alert]'))?.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, form);
  /** @type {HTMLInputElement} */ (form.querySelector('input')).focus();
}
