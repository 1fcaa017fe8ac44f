/**
 * French copy, as a worked example of translating the kit, on its own entry so other apps do not ship it:
 * `import { frenchMessages } from 'claude-overload-kit/messages/fr'`, then `<ClaudeProvider messages={frenchMessages}>`
 * (or merge single keys over it). Seconds and minutes come from `Intl` ("8 s", "2 min") — the same `formatWait` (and,
 * for words that change with a count, `plural`) that 'claude-overload-kit/core' exports for translations written
 * outside the package.
 */
import { formatWait, type ClaudeMessages } from './messages.js';
import { modelDisplayName } from './offers.js';

export const frenchMessages: ClaudeMessages = {
  locale: 'fr',
  busy: 'Claude est très sollicité en ce moment.',
  inLine: 'Claude est très sollicité — vous êtes dans la file.',
  serverError: 'Un problème est survenu du côté de Claude.',
  connectionProblem: 'Problème de connexion.',
  rateLimited: 'Trop de demandes.',
  offline: 'Vous êtes hors ligne. Nous reprendrons dès votre retour.',
  unavailable: 'Claude n’est pas disponible pour le moment.',
  spendLimited: 'Cette application a atteint sa limite d’utilisation.',
  modelName: (model) => modelDisplayName(model),
  offerFallback: (model) => `Répondre avec ${model} maintenant — plus rapide, moins approfondi`,
  offerFallbackAltText: (model) => `Faire répondre ${model} sans attendre`,
  declineFallback: 'Continuer d’attendre',
  answeredBy: (model) => `Réponse de ${model}`,
  notConfigured: 'Cette application ne peut pas joindre Claude pour le moment — son serveur n’est pas configuré.',
  incidentHeadline: 'Claude connaît une perturbation de service.',
  incidentResolvedHeadline: 'Anthropic annonce la fin de la perturbation.',
  retryingIn: (seconds, locale) => `Nouvel essai dans ${formatWait(seconds, locale)}…`,
  retrying: 'Nouvel essai…',
  turnIn: (seconds, locale) => `Votre tour dans environ ${formatWait(seconds, locale)}.`,
  turnDue: 'Toujours dans la file…',
  cancelled: 'Annulé — votre question est toujours là.',
  sendAgain: 'Renvoyer',
  attempt: (attempt, locale) => `Tentative ${new Intl.NumberFormat(locale).format(attempt)}`,
  escalationSlow: 'Cela prend plus de temps que d’habitude.',
  escalationUnusual:
    'Cela dure anormalement longtemps — il y a peut-être un incident. Consultez la page d’état de Claude.',
  escalationContact: 'Nous avons prévenu l’équipe. Vous pouvez patienter ou revenir plus tard.',
  incident: (name, status) => `Anthropic signale : ${name} — ${status}`,
  incidentStatus: {
    investigating: 'Analyse en cours',
    identified: 'Cause identifiée',
    monitoring: 'Correctif en observation',
    resolved: 'Résolu',
    postmortem: 'Résolu',
  },
  retryNow: 'Réessayer',
  cancel: 'Annuler',
  dismiss: 'Fermer',
  details: 'Détails',
  retryNowAltText: 'Réessayer la demande maintenant',
  cancelAltText: 'Arrêter les nouvelles tentatives',
  dismissAltText: 'Fermer cet avis',
  requestIdLabel: 'Identifiant de la demande',
  requestIdHint: 'Communiquez cet identifiant au support si le problème persiste.',
  statusPageLink: 'Page d’état de Claude',
  opensInNewTab: '(s’ouvre dans un nouvel onglet)',
  backToNormal: 'Retour à la normale',
  backToNormalDescription: 'Claude répond de nouveau.',
  bannerLabel: 'État de Claude',
  notificationsLabel: 'Notifications ({hotkey})',
  sendingIn: (seconds, locale) => `Envoi dans ${formatWait(seconds, locale)}…`,
  sendNow: 'Envoyer',
};
