import { api, permitCertificateUrl, type PermitDetail } from '../../api/client.ts'
import { categoryName, countyName, dateTime, kindName, permitStatusName, roleName, t } from '../../i18n.ts'
import { fill, h } from '../dom.ts'
import { explain } from '../errors.ts'
import { drawResult, verdictCard } from '../verdict.ts'
import { decisionForm } from './decision-form.ts'
import type { Notice, PermitDesk } from './desk.ts'

/** One application: its facts, the decision if there is one, the zone screening, the decision form, the history. */
export async function showPermitDetail(desk: PermitDesk, id: number, notice?: Notice): Promise<void> {
  const { view, panel } = desk
  fill(panel, h('p', { class: 'loading', role: 'status' }, t('loading')))
  let permit: PermitDetail
  try {
    permit = await api.permit(id)
  } catch (error) {
    fill(panel, desk.backButton(), h('p', { class: 'error', role: 'alert' }, explain(error)))
    return
  }
  if (desk.disposed()) return
  const screening = permit.screening
  const footer: Node[] = [
    h('p', {}, h('a', { class: 'button', href: permitCertificateUrl(permit.id), target: '_blank', rel: 'noopener' }, t('certificate'))),
  ]
  fill(
    panel,
    desk.backButton(),
    h('h2', { id: 'permit-title' }, permit.businessName),
    notice ? h('p', { class: notice.tone === 'error' ? 'error' : 'notice', role: 'alert' }, notice.text) : null,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('filterStatus')),
      h(
        'dd',
        {},
        h('span', { class: `badge status-${permit.status}`, id: 'permit-status' }, permitStatusName(permit.status)),
        permit.flaggedOverride ? h('span', { class: 'badge override' }, t('flaggedOverride')) : null,
      ),
      h('dt', {}, t('applicantName')),
      h('dd', {}, `${permit.applicant.name}（${permit.applicant.idNumber}）`),
      h('dt', {}, t('categoryLabel')),
      h('dd', {}, `${categoryName(permit.category)} · ${kindName(permit.kind)}`),
      h('dt', {}, t('address')),
      h('dd', {}, `${permit.address} · ${countyName(permit.countyCode)}`),
      permit.premisesId
        ? [h('dt', {}, t('premisesNo')), h('dd', {}, h('a', { href: `#/map?sel=premises:${permit.premisesId}` }, `#${permit.premisesId}`))]
        : null,
      permit.licenceNo ? [h('dt', {}, t('licenceNo')), h('dd', {}, permit.licenceNo)] : null,
      permit.decision
        ? [
            h('dt', {}, t('decision')),
            h(
              'dd',
              {},
              `${t(permit.decision.decision === 'approve' ? 'approve' : 'reject')} · ${permit.decision.reason}`,
              permit.decision.overrideJustification ? ` · ${t('overrideJustification')}：${permit.decision.overrideJustification}` : '',
              permit.decision.rectification
                ? ` · ${t(permit.decision.rectification.measure === 'close' ? 'measureClose' : 'measureRelocate')} ${permit.decision.rectification.deadline}`
                : '',
            ),
            h('dt', {}, t('decidedBy')),
            h(
              'dd',
              {},
              `${permit.decision.decidedBy.username}（${roleName(permit.decision.decidedBy.role)}）· ${dateTime(permit.decision.decidedAt)}`,
            ),
          ]
        : null,
    ),
    h('h3', {}, t('screening')),
    verdictCard(screening, { rectification: screening.rectification, footer }),
    permit.status === 'pending' ? decisionForm(desk, permit) : null,
    h(
      'details',
      { class: 'history' },
      h('summary', {}, t('history')),
      h(
        'ol',
        {},
        permit.history.map((entry) => h('li', {}, `${dateTime(entry.at)} · ${entry.action} · ${entry.username ?? '—'}`)),
      ),
    ),
  )
  await drawResult(view, screening, { fit: true })
}
