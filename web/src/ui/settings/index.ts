import { api, ApiError, type ApiToken, type CreatedApiToken } from '../../api/client.ts'
import { dateTime, t, type TextKey } from '../../i18n.ts'
import { DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS } from '../../../../server/schemas/token-vocabulary.ts'
import { fill, h, toast } from '../dom.ts'
import { explain } from '../errors.ts'
import type { ScreenContext } from '../screen.ts'

/** A calendar day in Beijing time, `days` from today: the service's expiry days are Beijing days. */
const beijingDay = (days = 0) => new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10)
const STATE_TEXT: Record<ApiToken['state'], TextKey> = {
  active: 'tokenStateActive',
  expired: 'tokenStateExpired',
  revoked: 'tokenStateRevoked',
}
const ACCESS_TEXT: Record<ApiToken['access'], TextKey> = { read: 'tokenAccessRead', write: 'tokenAccessWrite' }
const FIELDS = ['name', 'access', 'expiresOn'] as const

/**
 * The settings screen: the user's API tokens (name, access, prefix, created, expires, last used), a form that creates
 * one and shows its secret once with a copy button, and revocation with a confirmation. Administrators may list
 * everyone's tokens and revoke any.
 */
export function mountSettings({ user, view, panel }: ScreenContext): () => void {
  let disposed = false
  let showAll = false
  panel.classList.add('panel-wide')
  view.map.resize()
  const listHost = h('div', { class: 'tokens-list' })
  const createdHost = h('div', { class: 'token-created-host' })

  const fieldError = (name: (typeof FIELDS)[number]) =>
    h('p', { class: 'field-error', id: `token-${name}-error`, role: 'alert', hidden: true })
  const errors = { name: fieldError('name'), access: fieldError('access'), expiresOn: fieldError('expiresOn') }
  const nameInput = h('input', {
    id: 'token-name',
    name: 'name',
    required: true,
    maxlength: 100,
    placeholder: t('tokenNamePlaceholder'),
    'aria-describedby': 'token-name-error',
  })
  const accessSelect = h(
    'select',
    { id: 'token-access', name: 'access', 'aria-describedby': 'token-access-error' },
    h('option', { value: 'read' }, t('tokenAccessRead')),
    h('option', { value: 'write' }, t('tokenAccessWrite')),
  )
  const expiresInput = h('input', {
    id: 'token-expires',
    name: 'expiresOn',
    type: 'date',
    required: true,
    min: beijingDay(),
    max: beijingDay(MAX_TOKEN_DAYS),
    value: beijingDay(DEFAULT_TOKEN_DAYS),
    'aria-describedby': 'token-expiresOn-error',
  })
  const submit = h('button', { type: 'submit', class: 'primary' }, t('createToken'))
  const formError = h('p', { class: 'error', role: 'alert', hidden: true })
  const form = h(
    'form',
    { class: 'token-form', novalidate: true, onsubmit: (event: Event) => void create(event) },
    h('label', { for: 'token-name' }, t('tokenName')),
    nameInput,
    errors.name,
    h(
      'div',
      { class: 'field-row' },
      h('div', { class: 'field' }, h('label', { for: 'token-access' }, t('tokenAccess')), accessSelect, errors.access),
      h('div', { class: 'field' }, h('label', { for: 'token-expires' }, t('tokenExpiresOn')), expiresInput, errors.expiresOn),
    ),
    submit,
    formError,
  )

  function clearErrors() {
    for (const element of Object.values(errors)) {
      element.hidden = true
      element.textContent = ''
    }
    formError.hidden = true
  }

  /** Shows each problem beside its field (`body/name`, `/expiresOn` …); what no field takes goes under the form. */
  function showError(error: unknown) {
    const problems = error instanceof ApiError ? error.problems : []
    let placed = false
    for (const problem of problems) {
      const field = FIELDS.find((name) => problem.field.replace(/^body/, '') === `/${name}`)
      if (!field) continue
      errors[field].textContent = problem.message
      errors[field].hidden = false
      placed = true
    }
    if (!placed) {
      formError.textContent = explain(error)
      formError.hidden = false
    }
  }

  async function create(event: Event) {
    event.preventDefault()
    clearErrors()
    submit.disabled = true
    try {
      const created = await api.createToken({
        name: nameInput.value,
        access: accessSelect.value as ApiToken['access'],
        ...(expiresInput.value ? { expiresOn: expiresInput.value } : {}),
      })
      if (disposed) return
      nameInput.value = ''
      showCreated(created)
      await loadList()
    } catch (error) {
      showError(error)
    } finally {
      submit.disabled = false
    }
  }

  function showCreated(created: CreatedApiToken) {
    const secret = h('input', { id: 'token-secret', readonly: true, value: created.token, spellcheck: false, 'aria-label': created.name })
    const copied = h('p', { class: 'muted', role: 'status', id: 'token-copy-status' })
    const copy = h(
      'button',
      {
        type: 'button',
        id: 'token-copy',
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(created.token)
            copied.textContent = t('tokenCopied')
          } catch {
            secret.select()
            copied.textContent = t('tokenCopyByHand')
          }
        },
      },
      t('copyToken'),
    )
    fill(
      createdHost,
      h(
        'section',
        { class: 'token-created', 'aria-labelledby': 'token-created-title' },
        h('h3', { id: 'token-created-title' }, t('tokenCreated', { name: created.name })),
        h('p', { class: 'warning' }, t('tokenShownOnce')),
        h('div', { class: 'token-secret-row' }, secret, copy),
        copied,
        h('button', { type: 'button', class: 'link', id: 'token-done', onclick: () => fill(createdHost) }, t('tokenDone')),
      ),
    )
    secret.focus()
    secret.select()
  }

  async function revoke(token: ApiToken) {
    try {
      await api.revokeToken(token.id)
      toast(t('tokenRevoked', { name: token.name }), 'ok')
    } catch (error) {
      toast(explain(error), 'error')
    }
    await loadList()
  }

  /** The action cell of a row: Revoke, which asks to confirm in place before it revokes. */
  function actionCell(token: ApiToken): HTMLElement {
    const cell = h('td', { class: 'token-action' })
    const ask = () =>
      fill(
        cell,
        h('span', { class: 'confirm-text' }, t('revokeTokenConfirm', { name: token.name })),
        h(
          'button',
          { type: 'button', class: 'danger', 'data-action': 'confirm-revoke', onclick: () => void revoke(token) },
          t('revokeTokenYes'),
        ),
        h('button', { type: 'button', class: 'link', 'data-action': 'cancel-revoke', onclick: reset }, t('cancel')),
      )
    const reset = () => fill(cell, h('button', { type: 'button', class: 'link', 'data-action': 'revoke', onclick: ask }, t('revokeToken')))
    if (token.state !== 'revoked') reset()
    return cell
  }

  function tokensTable(tokens: readonly ApiToken[]): HTMLElement {
    if (tokens.length === 0) return h('p', { class: 'muted', id: 'tokens-empty' }, t('noTokens'))
    const columns: TextKey[] = [
      ...(showAll ? (['tokenOwner'] as const) : []),
      'tokenName',
      'tokenAccess',
      'tokenPrefix',
      'tokenCreatedAt',
      'expiresOn',
      'tokenLastUsed',
      'tokenState',
    ]
    return h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'tokens-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            columns.map((key) => h('th', { scope: 'col' }, key === 'tokenName' ? t('tokenNameColumn') : t(key))),
            h('th', { scope: 'col', 'aria-label': t('revokeToken') }),
          ),
        ),
        h(
          'tbody',
          {},
          tokens.map((token) =>
            h(
              'tr',
              { 'data-token-id': token.id, 'data-state': token.state, class: token.state === 'active' ? '' : 'inactive' },
              showAll ? h('td', {}, token.username) : null,
              h('td', { class: 'token-name' }, token.name),
              h('td', { 'data-column': 'access' }, t(ACCESS_TEXT[token.access])),
              h('td', {}, h('code', {}, `${token.prefix}…`)),
              h('td', {}, dateTime(token.createdAt)),
              h('td', {}, token.expiresOn),
              h('td', {}, token.lastUsedAt ? dateTime(token.lastUsedAt) : t('tokenNeverUsed')),
              h('td', { 'data-column': 'state' }, t(STATE_TEXT[token.state])),
              actionCell(token),
            ),
          ),
        ),
      ),
    )
  }

  async function loadList() {
    try {
      const tokens = await api.tokens(showAll ? { all: true } : {})
      if (disposed) return
      fill(listHost, tokensTable(tokens))
    } catch (error) {
      if (!disposed) fill(listHost, h('p', { class: 'error', role: 'alert' }, explain(error)))
    }
  }

  const allToggle =
    user.role === 'admin'
      ? h(
          'label',
          { class: 'check' },
          h('input', {
            type: 'checkbox',
            id: 'tokens-all',
            onchange: (event: Event) => {
              showAll = (event.target as HTMLInputElement).checked
              void loadList()
            },
          }),
          t('tokensAll'),
        )
      : null

  fill(panel, h('h2', {}, t('tokensTitle')), h('p', { class: 'muted' }, t('tokensIntro')), form, createdHost, allToggle, listHost)
  fill(listHost, h('p', { class: 'loading' }, t('loading')))
  void loadList()

  return () => {
    disposed = true
    panel.classList.remove('panel-wide')
    view.map.resize()
  }
}
