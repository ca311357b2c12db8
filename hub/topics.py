"""Topic slugs and the labels residents see for them (translated when shown)."""

from __future__ import annotations

from hub.i18n import N_, gettext

TOPIC_LABELS = {
    "health": N_("Health"),
    "skills": N_("Skills"),
    "hygiene": N_("Hygiene"),
    "misinformation": N_("False health news"),
    "first-aid": N_("First aid"),
    "mental-health": N_("Mental well-being"),
    "vaccination": N_("Vaccination"),
    "digital-safety": N_("Phone and internet safety"),
    "work": N_("Work"),
    "climate": N_("Climate"),
}

KIND_LABELS = {
    "article": N_("Reading"),
    "video": N_("Video"),
    "audio": N_("Listening"),
    "pdf": N_("Document"),
    "images": N_("Pictures"),
    "quiz": N_("Quiz"),
    "zim": N_("Reading"),
    "html5": N_("Activity"),
    "h5p": N_("H5P activity"),
}


def topic_label(slug: str) -> str:
    label = TOPIC_LABELS.get(slug)
    return gettext(label) if label else slug.replace("-", " ").capitalize()


def kind_label(kind: str) -> str:
    return gettext(KIND_LABELS.get(kind, kind))
