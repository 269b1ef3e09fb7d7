"""The plain words of an explanation, in English, Spanish, French and German.

Every sentence is a fixed template: the only things filled in are a kind of personal
data ("card number") and a date, never a value the customer wrote.
"""

from __future__ import annotations

from collections.abc import Mapping

# Entity type -> how the customer would call it, per language.
ENTITIES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "PERSON": "name",
        "EMAIL_ADDRESS": "e-mail address",
        "PHONE_NUMBER": "phone number",
        "CREDIT_CARD": "card number",
        "IBAN_CODE": "bank account number",
        "US_BANK_NUMBER": "bank account number",
        "US_SSN": "social security number",
        "US_PASSPORT": "passport number",
        "STREET_ADDRESS": "address",
        "LOCATION": "address",
        "DATE_OF_BIRTH": "date of birth",
        "IP_ADDRESS": "IP address",
    },
    "es": {
        "PERSON": "nombre",
        "EMAIL_ADDRESS": "dirección de correo electrónico",
        "PHONE_NUMBER": "número de teléfono",
        "CREDIT_CARD": "número de tarjeta",
        "IBAN_CODE": "número de cuenta bancaria",
        "US_BANK_NUMBER": "número de cuenta bancaria",
        "US_SSN": "número de la seguridad social",
        "US_PASSPORT": "número de pasaporte",
        "STREET_ADDRESS": "dirección",
        "LOCATION": "dirección",
        "DATE_OF_BIRTH": "fecha de nacimiento",
        "IP_ADDRESS": "dirección IP",
    },
    "fr": {
        "PERSON": "nom",
        "EMAIL_ADDRESS": "adresse e-mail",
        "PHONE_NUMBER": "numéro de téléphone",
        "CREDIT_CARD": "numéro de carte",
        "IBAN_CODE": "numéro de compte bancaire",
        "US_BANK_NUMBER": "numéro de compte bancaire",
        "US_SSN": "numéro de sécurité sociale",
        "US_PASSPORT": "numéro de passeport",
        "STREET_ADDRESS": "adresse",
        "LOCATION": "adresse",
        "DATE_OF_BIRTH": "date de naissance",
        "IP_ADDRESS": "adresse IP",
    },
    "de": {
        "PERSON": "Name",
        "EMAIL_ADDRESS": "E-Mail-Adresse",
        "PHONE_NUMBER": "Telefonnummer",
        "CREDIT_CARD": "Kartennummer",
        "IBAN_CODE": "Kontonummer",
        "US_BANK_NUMBER": "Kontonummer",
        "US_SSN": "Sozialversicherungsnummer",
        "US_PASSPORT": "Passnummer",
        "STREET_ADDRESS": "Adresse",
        "LOCATION": "Adresse",
        "DATE_OF_BIRTH": "Geburtsdatum",
        "IP_ADDRESS": "IP-Adresse",
    },
}

# Sentence key -> template, per language. ``{what}`` is an entity word, ``{when}`` a date.
SENTENCES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "hidden": "Your {what} was hidden from the AI assistant.",
        "hidden_other": "Some of your personal details were hidden from the AI assistant.",
        "leak": "Personal details in the AI assistant's reply that you had not given were hidden.",
        "disclosed": "You were told you were chatting with an AI on {when}.",
        "bot_question": (
            "You asked whether you were talking to a bot; Candor told you truthfully that it was an AI."
        ),
        "impersonation": "A reply in which the AI assistant seemed to claim to be a person was corrected.",
        "refused": "One of your messages was not passed on to the AI assistant.",
        "failed": (
            "A safety check could not be completed, so your message was not passed on to the AI assistant."
        ),
        "to_person.customer_request": "You were transferred to a person because you asked for one.",
        "to_person.consent": "You were transferred to a person because you chose not to talk to an AI.",
        "to_person.frustration": (
            "You were transferred to a person because the conversation did not seem to be helping you."
        ),
        "to_person.crisis": (
            "You were transferred to a person because something you wrote suggested you might need "
            "urgent help."
        ),
        "to_person.sensitive_topic": (
            "You were transferred to a person because your request concerned a sensitive matter."
        ),
        "to_person.loop": (
            "You were transferred to a person because the conversation was going round in circles."
        ),
        "to_person.bot_failure": (
            "You were transferred to a person because the AI assistant could not answer."
        ),
        "to_person.policy": "You were transferred to a person because the company's rules ask for one here.",
        "to_person.guardrail_error": (
            "You were transferred to a person because a safety check could not be completed."
        ),
        "joined": "A person from our team joined the conversation.",
        "handed_back": "The person handed the conversation back to the AI assistant.",
        "resolved": "A person closed the conversation.",
        "waiting": "You were told that everyone was busy and that a person would answer as soon as possible.",
        "opted_out": "You chose not to talk to the AI assistant; from then on, people answered you.",
        "opted_in": "You agreed to talk to the AI assistant.",
        "summary_none": "Candor has taken no decisions about this conversation yet.",
    },
    "es": {
        "hidden": "Su {what} se ocultó al asistente de IA.",
        "hidden_other": "Algunos de sus datos personales se ocultaron al asistente de IA.",
        "leak": "Se ocultaron datos personales que usted no había dado en la respuesta del asistente de IA.",
        "disclosed": "Se le informó de que estaba hablando con una IA el {when}.",
        "bot_question": (
            "Preguntó si hablaba con un bot; Candor le respondió con la verdad que se trataba de una IA."
        ),
        "impersonation": (
            "Se corrigió una respuesta en la que el asistente de IA parecía decir que era una persona."
        ),
        "refused": "Uno de sus mensajes no se transmitió al asistente de IA.",
        "failed": (
            "No se pudo completar un control de seguridad, así que su mensaje no se transmitió al asistente "
            "de IA."
        ),
        "to_person.customer_request": "Se le pasó con una persona porque usted lo pidió.",
        "to_person.consent": "Se le pasó con una persona porque eligió no hablar con una IA.",
        "to_person.frustration": "Se le pasó con una persona porque la conversación no parecía ayudarle.",
        "to_person.crisis": (
            "Se le pasó con una persona porque algo que escribió indicaba que podría necesitar ayuda urgente."
        ),
        "to_person.sensitive_topic": (
            "Se le pasó con una persona porque su consulta trataba un asunto delicado."
        ),
        "to_person.loop": "Se le pasó con una persona porque la conversación daba vueltas sin avanzar.",
        "to_person.bot_failure": "Se le pasó con una persona porque el asistente de IA no pudo responder.",
        "to_person.policy": (
            "Se le pasó con una persona porque las normas de la empresa lo piden en este caso."
        ),
        "to_person.guardrail_error": (
            "Se le pasó con una persona porque no se pudo completar un control de seguridad."
        ),
        "joined": "Una persona de nuestro equipo se unió a la conversación.",
        "handed_back": "La persona devolvió la conversación al asistente de IA.",
        "resolved": "Una persona cerró la conversación.",
        "waiting": (
            "Se le informó de que todos estaban ocupados y de que una persona le respondería lo antes "
            "posible."
        ),
        "opted_out": "Eligió no hablar con el asistente de IA; desde entonces le atendieron personas.",
        "opted_in": "Aceptó hablar con el asistente de IA.",
        "summary_none": "Candor aún no ha tomado ninguna decisión sobre esta conversación.",
    },
    "fr": {
        "hidden": "Votre {what} a été masqué(e) pour l'assistant IA.",
        "hidden_other": "Certaines de vos données personnelles ont été masquées pour l'assistant IA.",
        "leak": (
            "Des données personnelles que vous n'aviez pas données ont été masquées dans la réponse de "
            "l'assistant IA."
        ),
        "disclosed": "Vous avez été informé(e) que vous parliez avec une IA le {when}.",
        "bot_question": (
            "Vous avez demandé si vous parliez à un robot ; Candor vous a répondu honnêtement qu'il "
            "s'agissait "
            "d'une IA."
        ),
        "impersonation": (
            "Une réponse dans laquelle l'assistant IA semblait se présenter comme une personne a été "
            "corrigée."
        ),
        "refused": "L'un de vos messages n'a pas été transmis à l'assistant IA.",
        "failed": (
            "Un contrôle de sécurité n'a pas pu aboutir, votre message n'a donc pas été transmis à "
            "l'assistant IA."
        ),
        "to_person.customer_request": (
            "Vous avez été mis(e) en relation avec une personne car vous l'avez demandé."
        ),
        "to_person.consent": (
            "Vous avez été mis(e) en relation avec une personne car vous avez choisi de ne pas parler à une "
            "IA."
        ),
        "to_person.frustration": (
            "Vous avez été mis(e) en relation avec une personne car la conversation ne semblait pas vous "
            "aider."
        ),
        "to_person.crisis": (
            "Vous avez été mis(e) en relation avec une personne car vos mots laissaient penser que vous "
            "pourriez "
            "avoir besoin d'une aide urgente."
        ),
        "to_person.sensitive_topic": (
            "Vous avez été mis(e) en relation avec une personne car votre demande concernait un sujet "
            "sensible."
        ),
        "to_person.loop": (
            "Vous avez été mis(e) en relation avec une personne car la conversation tournait en rond."
        ),
        "to_person.bot_failure": (
            "Vous avez été mis(e) en relation avec une personne car l'assistant IA ne pouvait pas répondre."
        ),
        "to_person.policy": (
            "Vous avez été mis(e) en relation avec une personne car les règles de l'entreprise le demandent "
            "ici."
        ),
        "to_person.guardrail_error": (
            "Vous avez été mis(e) en relation avec une personne car un contrôle de sécurité n'a pas pu "
            "aboutir."
        ),
        "joined": "Une personne de notre équipe a rejoint la conversation.",
        "handed_back": "La personne a rendu la conversation à l'assistant IA.",
        "resolved": "Une personne a clôturé la conversation.",
        "waiting": (
            "Vous avez été informé(e) que tout le monde était occupé et qu'une personne vous répondrait dès "
            "que "
            "possible."
        ),
        "opted_out": (
            "Vous avez choisi de ne pas parler à l'assistant IA ; depuis, des personnes vous ont répondu."
        ),
        "opted_in": "Vous avez accepté de parler à l'assistant IA.",
        "summary_none": "Candor n'a encore pris aucune décision sur cette conversation.",
    },
    "de": {
        "hidden": "Ihre Angabe „{what}“ wurde vor dem KI-Assistenten verborgen.",
        "hidden_other": "Einige Ihrer persönlichen Daten wurden vor dem KI-Assistenten verborgen.",
        "leak": (
            "Persönliche Daten in der Antwort des KI-Assistenten, die Sie nicht angegeben hatten, wurden "
            "verborgen."
        ),
        "disclosed": "Ihnen wurde am {when} mitgeteilt, dass Sie mit einer KI chatten.",
        "bot_question": (
            "Sie haben gefragt, ob Sie mit einem Bot sprechen; Candor hat Ihnen wahrheitsgemäß gesagt, dass "
            "es "
            "eine KI ist."
        ),
        "impersonation": (
            "Eine Antwort, in der sich der KI-Assistent scheinbar als Mensch ausgab, wurde korrigiert."
        ),
        "refused": "Eine Ihrer Nachrichten wurde nicht an den KI-Assistenten weitergegeben.",
        "failed": (
            "Eine Sicherheitsprüfung konnte nicht abgeschlossen werden, daher wurde Ihre Nachricht nicht an "
            "den "
            "KI-Assistenten weitergegeben."
        ),
        "to_person.customer_request": (
            "Sie wurden an eine Person weitergeleitet, weil Sie darum gebeten haben."
        ),
        "to_person.consent": (
            "Sie wurden an eine Person weitergeleitet, weil Sie nicht mit einer KI sprechen möchten."
        ),
        "to_person.frustration": (
            "Sie wurden an eine Person weitergeleitet, weil Ihnen das Gespräch nicht zu helfen schien."
        ),
        "to_person.crisis": (
            "Sie wurden an eine Person weitergeleitet, weil Ihre Nachricht darauf hindeutete, dass Sie "
            "dringend "
            "Hilfe brauchen könnten."
        ),
        "to_person.sensitive_topic": (
            "Sie wurden an eine Person weitergeleitet, weil Ihr Anliegen ein sensibles Thema betraf."
        ),
        "to_person.loop": "Sie wurden an eine Person weitergeleitet, weil sich das Gespräch im Kreis drehte.",
        "to_person.bot_failure": (
            "Sie wurden an eine Person weitergeleitet, weil der KI-Assistent nicht antworten konnte."
        ),
        "to_person.policy": (
            "Sie wurden an eine Person weitergeleitet, weil die Regeln des Unternehmens dies hier verlangen."
        ),
        "to_person.guardrail_error": (
            "Sie wurden an eine Person weitergeleitet, weil eine Sicherheitsprüfung nicht abgeschlossen "
            "werden "
            "konnte."
        ),
        "joined": "Eine Person aus unserem Team ist dem Gespräch beigetreten.",
        "handed_back": "Die Person hat das Gespräch an den KI-Assistenten zurückgegeben.",
        "resolved": "Eine Person hat das Gespräch beendet.",
        "waiting": (
            "Ihnen wurde mitgeteilt, dass alle beschäftigt sind und eine Person so bald wie möglich "
            "antwortet."
        ),
        "opted_out": (
            "Sie wollten nicht mit dem KI-Assistenten sprechen; seitdem haben Ihnen Menschen geantwortet."
        ),
        "opted_in": "Sie haben zugestimmt, mit dem KI-Assistenten zu sprechen.",
        "summary_none": "Candor hat zu diesem Gespräch noch keine Entscheidungen getroffen.",
    },
}
