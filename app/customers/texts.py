"""What Candor itself tells a customer about their consent to AI, in English, Spanish,
French and German (never through the model). Other locales get English."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "es", "fr", "de")


def language_of(locale: str | None) -> str:
    """``es-ES`` -> ``es``; anything Candor has no texts for -> ``en``."""
    language = (locale or "").replace("_", "-").split("-")[0].strip().lower()
    return language if language in LANGUAGES else "en"


@dataclass(frozen=True, slots=True)
class ConsentTexts:
    opted_out: str  # the reply to a turn of a customer who opted out
    opted_in: str  # the reply confirming an in-chat opt-in
    opt_in_prompt: str  # policy consent.require_opt_in: asked before any AI turn


_TEXTS = {
    "en": ConsentTexts(
        opted_out=(
            "You chose not to talk to our AI assistant, so a person from our team will answer you "
            "here. Please stay in this chat."
        ),
        opted_in="Thank you. Our AI assistant will answer your next message.",
        opt_in_prompt=(
            "Our assistant is an AI system. Before it can answer you, please tell us you agree: "
            'reply "I agree to the AI assistant", or type "agent" to talk to a person instead.'
        ),
    ),
    "es": ConsentTexts(
        opted_out=(
            "Ha elegido no hablar con nuestro asistente de IA, así que una persona de nuestro equipo "
            "le responderá aquí. Por favor, permanezca en este chat."
        ),
        opted_in="Gracias. Nuestro asistente de IA responderá a su próximo mensaje.",
        opt_in_prompt=(
            "Nuestro asistente es un sistema de IA. Antes de que pueda responderle, díganos si está de "
            'acuerdo: responda "acepto el asistente", o escriba "agente" para hablar con una persona.'
        ),
    ),
    "fr": ConsentTexts(
        opted_out=(
            "Vous avez choisi de ne pas parler à notre assistant IA : une personne de notre équipe vous "
            "répondra ici. Merci de rester dans cette conversation."
        ),
        opted_in="Merci. Notre assistant IA répondra à votre prochain message.",
        opt_in_prompt=(
            "Notre assistant est un système d'IA. Avant qu'il puisse vous répondre, dites-nous si vous "
            "êtes d'accord : répondez « j'accepte l'assistant », ou écrivez « agent » pour parler à une "
            "personne."
        ),
    ),
    "de": ConsentTexts(
        opted_out=(
            "Sie möchten nicht mit unserem KI-Assistenten sprechen, daher antwortet Ihnen hier eine "
            "Person aus unserem Team. Bitte bleiben Sie in diesem Chat."
        ),
        opted_in="Danke. Unser KI-Assistent beantwortet Ihre nächste Nachricht.",
        opt_in_prompt=(
            "Unser Assistent ist ein KI-System. Bevor er Ihnen antworten kann, sagen Sie uns bitte, ob "
            'Sie einverstanden sind: Antworten Sie "ich bin mit dem Assistenten einverstanden", oder '
            'schreiben Sie "Mitarbeiter", um mit einer Person zu sprechen.'
        ),
    ),
}


def consent_texts(locale: str | None) -> ConsentTexts:
    return _TEXTS[language_of(locale)]
