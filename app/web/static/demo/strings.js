// The widget's own words, in the languages Candor's disclosure ships in. Candor's replies
// (disclosure, handoff notices, explanations) come from the server in the same language.

const STRINGS = {
  en: {
    title: "Chat with us", log: "Conversation", message: "Your message", send: "Send",
    person: "Talk to a person", optOut: "Opt out of AI", why: "Why did this happen?",
    explanation: "Explanation of this conversation", whyTitle: "Why things happened in this conversation",
    you: "You", ai: "AI assistant", agent: "Support agent", humanAgent: "human agent", system: "System",
    disclosure: "AI disclosure", modeBot: "AI assistant", modeQueued: "Waiting for a person",
    modeHuman: "With a person", modeResolved: "Closed: write again any time", aiOff: "AI off: a person will answer",
    opener: "I would like to talk to a person, please.",
    optedOut: "You opted out of the AI assistant. Your messages go to a person.",
    optedIn: "You opted in again: the AI assistant can answer you.",
    nothingYet: "Nothing has been decided yet: start a conversation first.", loading: "Loading…",
    noExplanation: "The explanation is not available:", noDecisions: "No decisions were recorded for this conversation.",
    wrong: "Something went wrong:",
  },
  de: {
    title: "Chatten Sie mit uns", log: "Unterhaltung", message: "Ihre Nachricht", send: "Senden",
    person: "Mit einem Menschen sprechen", optOut: "Keine KI", why: "Warum ist das passiert?",
    explanation: "Erklärung dieser Unterhaltung", whyTitle: "Warum in dieser Unterhaltung was geschah",
    you: "Sie", ai: "KI-Assistent", agent: "Support-Mitarbeiter", humanAgent: "Mensch", system: "System",
    disclosure: "KI-Hinweis", modeBot: "KI-Assistent", modeQueued: "Warten auf einen Menschen",
    modeHuman: "Mit einem Menschen", modeResolved: "Beendet: Sie können jederzeit wieder schreiben",
    aiOff: "KI aus: ein Mensch antwortet", opener: "Ich möchte bitte mit einem Menschen sprechen.",
    optedOut: "Sie haben die KI abgewählt. Ihre Nachrichten gehen an einen Menschen.",
    optedIn: "Sie haben die KI wieder zugelassen: der KI-Assistent kann Ihnen antworten.",
    nothingYet: "Noch wurde nichts entschieden: beginnen Sie zuerst eine Unterhaltung.", loading: "Wird geladen…",
    noExplanation: "Die Erklärung ist nicht verfügbar:", noDecisions: "Für diese Unterhaltung wurden keine Entscheidungen aufgezeichnet.",
    wrong: "Etwas ist schiefgegangen:",
  },
  es: {
    title: "Chatea con nosotros", log: "Conversación", message: "Tu mensaje", send: "Enviar",
    person: "Hablar con una persona", optOut: "Sin IA", why: "¿Por qué ha pasado esto?",
    explanation: "Explicación de esta conversación", whyTitle: "Por qué pasó lo que pasó en esta conversación",
    you: "Tú", ai: "Asistente de IA", agent: "Agente de soporte", humanAgent: "persona", system: "Sistema",
    disclosure: "Aviso de IA", modeBot: "Asistente de IA", modeQueued: "Esperando a una persona",
    modeHuman: "Con una persona", modeResolved: "Cerrada: escribe cuando quieras", aiOff: "IA desactivada: te responderá una persona",
    opener: "Quiero hablar con una persona, por favor.",
    optedOut: "Has rechazado el asistente de IA. Tus mensajes van a una persona.",
    optedIn: "Has vuelto a aceptar la IA: el asistente de IA puede responderte.",
    nothingYet: "Aún no se ha decidido nada: empieza una conversación.", loading: "Cargando…",
    noExplanation: "La explicación no está disponible:", noDecisions: "No se registraron decisiones en esta conversación.",
    wrong: "Algo ha fallado:",
  },
  fr: {
    title: "Discutez avec nous", log: "Conversation", message: "Votre message", send: "Envoyer",
    person: "Parler à une personne", optOut: "Sans IA", why: "Pourquoi cela s'est-il passé ?",
    explanation: "Explication de cette conversation", whyTitle: "Pourquoi les choses se sont passées ainsi",
    you: "Vous", ai: "Assistant IA", agent: "Conseiller", humanAgent: "humain", system: "Système",
    disclosure: "Mention IA", modeBot: "Assistant IA", modeQueued: "En attente d'une personne",
    modeHuman: "Avec une personne", modeResolved: "Terminée : écrivez quand vous voulez", aiOff: "IA désactivée : une personne vous répondra",
    opener: "Je voudrais parler à une personne, s'il vous plaît.",
    optedOut: "Vous avez refusé l'assistant IA. Vos messages vont à une personne.",
    optedIn: "Vous avez de nouveau accepté l'IA : l'assistant IA peut vous répondre.",
    nothingYet: "Rien n'a encore été décidé : commencez d'abord une conversation.", loading: "Chargement…",
    noExplanation: "L'explication n'est pas disponible :", noDecisions: "Aucune décision n'a été enregistrée pour cette conversation.",
    wrong: "Un problème est survenu :",
  },
};

/** The words for a locale such as "de-AT"; English when the language is not shipped. */
export function stringsFor(locale) {
  const language = String(locale || "en").toLowerCase().split(/[-_]/)[0];
  return STRINGS[language] || STRINGS.en;
}
