import { api, ApiError, type User } from '../api/client.ts'
import { currentLanguage, setLanguage, t } from '../i18n.ts'
import { fill, h } from './dom.ts'

/** The sign-in screen. */
export function mountLogin(root: HTMLElement, onSignedIn: (user: User) => void): void {
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' })
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autofocus: true })
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })
  const button = h('button', { type: 'submit', class: 'primary' }, t('signIn'))
  const form = h(
    'form',
    {
      class: 'login',
      'aria-describedby': 'login-error',
      onsubmit: async (event: Event) => {
        event.preventDefault()
        button.disabled = true
        button.textContent = t('signingIn')
        error.textContent = ''
        try {
          onSignedIn(await api.login(username.value.trim(), password.value))
        } catch (caught) {
          error.textContent =
            caught instanceof ApiError && (caught.status === 401 || caught.status === 400)
              ? t('signInFailed')
              : caught instanceof ApiError && caught.status === 429
                ? caught.message
                : t('networkError')
          button.disabled = false
          button.textContent = t('signIn')
          password.select()
        }
      },
    },
    h('h1', {}, t('appTitle')),
    h('label', { for: 'username' }, t('username')),
    username,
    h('label', { for: 'password' }, t('password')),
    password,
    error,
    button,
    h('p', { class: 'hint' }, t('demoHint')),
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () => (setLanguage(currentLanguage() === 'zh' ? 'en' : 'zh'), mountLogin(root, onSignedIn)),
      },
      t('switchLanguage'),
    ),
  )
  fill(root, h('main', { class: 'login-page' }, form))
  username.focus()
}
