"""Translating a course side by side in the studio, and switching language from a lesson (issue 22)."""

from __future__ import annotations

import pytest

from content.starter import STARTER_DIR
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.plugins.studio import translating
from tests.conftest import BrowserClient, signed_in

TRANSLATE = "/tutor/studio/translate"
SW = "job-readiness-sw"


@pytest.fixture
def starter_sets(hub: Hub) -> Hub:
    """Two starter sets of four languages (a full import takes longer than these tests need)."""
    for name in ("job-readiness", "hand-hygiene"):
        for language in ("en", "fr", "es", "ar"):
            import_package(hub.db, hub.blobs, STARTER_DIR / f"{name}-{language}", origin="starter",
                           allow_unverified=True)  # fmt: skip
    return hub


@pytest.fixture
def tutor(starter_sets: Hub) -> BrowserClient:
    return signed_in(starter_sets, Role.TUTOR)


def swahili_words(hub: Hub, lesson_id: str) -> dict[str, str]:
    """A filled form for one lesson: every word field of the draft, "SW" before it."""
    translation = translating.load(hub, SW)
    assert translation is not None
    lesson = translation.draft.lesson(lesson_id)
    assert lesson is not None
    form = {"title": f"SW {lesson.title}", "body": f"SW {lesson.body}"}
    for n, question in enumerate(lesson.meta.get("questions", []), start=1):
        form |= {
            f"q{n}_prompt": f"SW {question['prompt']}",
            f"q{n}_explanation": f"SW {question['explanation']}",
        }
        form |= {f"q{n}_c{i}": f"SW {c}" for i, c in enumerate(question.get("choices", []), start=1)}
        if question.get("unit"):
            form[f"q{n}_unit"] = "kurasa"
    return form


def start_swahili(tutor: BrowserClient) -> None:
    form = {"course": "job-readiness-en", "language": "en", "other_language": "sw"}
    started = tutor.post(TRANSLATE, data=form, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == f"{TRANSLATE}/{SW}"


def test_a_tutor_translates_a_course_lesson_by_lesson_and_both_courses_list_each_other(tutor, starter_sets):
    hub = starter_sets
    start_swahili(tutor)
    overview = tutor.get(f"{TRANSLATE}/{SW}").text
    assert "Getting ready for work" in overview and "To translate" in overview

    page = tutor.get(f"{TRANSLATE}/{SW}/lessons/interview").text
    assert 'class="original-text" lang="en" dir="ltr"' in page  # the original, beside the new text
    assert "Tell me about yourself" in page and 'name="body" rows="14" lang="sw" dir="ltr"' in page

    early = tutor.post(f"{TRANSLATE}/{SW}/publish")
    assert early.status_code == 400 and "Translate the course" in early.text

    words = {"title": "Kujiandaa kwa kazi", "summary": "Muhtasari."}
    saved = tutor.post(f"{TRANSLATE}/{SW}/course", data=words, follow_redirects=False)
    assert saved.headers["location"] == f"{TRANSLATE}/{SW}/lessons/your-cv"
    for lesson_id in ("your-cv", "looking-for-work", "interview", "rights-at-work"):
        tutor.post(f"{TRANSLATE}/{SW}/lessons/{lesson_id}", data=swahili_words(hub, lesson_id))
    waiting = tutor.post(f"{TRANSLATE}/{SW}/publish")
    assert (
        waiting.status_code == 400 and "Still in the original language: Check what you know" in waiting.text
    )
    last = tutor.post(
        f"{TRANSLATE}/{SW}/lessons/quiz", data=swahili_words(hub, "quiz"), follow_redirects=False
    )
    assert last.headers["location"] == f"{TRANSLATE}/{SW}?saved=1"

    published = tutor.post(f"{TRANSLATE}/{SW}/publish", follow_redirects=False)
    assert published.headers["location"] == f"/courses/{SW}"
    made, english = hub.course(SW), hub.course("job-readiness-en")
    assert made is not None and english is not None
    assert made.course.language == "sw" and made.course.title == "Kujiandaa kwa kazi"
    assert set(made.course.translations) == {f"job-readiness-{lang}" for lang in ("en", "fr", "es", "ar")}
    quiz, original = made.lessons[-1], english.lessons[-1]
    assert [(q.type, q.answer, len(q.choices)) for q in quiz.questions] == [
        (q.type, q.answer, len(q.choices)) for q in original.questions
    ]
    assert quiz.questions[0].prompt.startswith("SW ") and quiz.questions[0].unit == "kurasa"
    assert [lesson.id for lesson in made.lessons] == [lesson.id for lesson in english.lessons]
    assert translating.load(hub, SW) is None  # the draft is gone once published

    for course_id in ("job-readiness-en", "job-readiness-ar"):  # the originals now list it
        assert f'href="/courses/{SW}"' in tutor.get(f"/courses/{course_id}").text
    assert 'href="/courses/job-readiness-fr"' in tutor.get(f"/courses/{SW}").text
    lesson = tutor.get("/courses/job-readiness-fr/interview").text
    assert f'href="/courses/{SW}/interview"' in lesson


def test_broken_words_are_refused_clearly_and_the_draft_keeps_what_it_had(tutor, starter_sets):
    start_swahili(tutor)
    translation = translating.load(starter_sets, SW)
    assert translation is not None
    quiz_file = translation.draft.root / translation.draft.lesson("quiz").file_name
    before = quiz_file.read_text()
    for field, message in (("q2_c3", "Question 2: choice 3 is empty."),
                           ("q4_prompt", "Question 4: write the question."),
                           ("q1_explanation", "Question 1: write the explanation."),
                           ("title", "Write the lesson&#39;s title in the new language.")):  # fmt: skip
        form = swahili_words(starter_sets, "quiz") | {field: "   "}
        refused = tutor.post(f"{TRANSLATE}/{SW}/lessons/quiz", data=form)
        assert refused.status_code == 400 and message in refused.text, field
        assert 'value="SW ' in refused.text  # what the tutor typed comes back to fix
    assert quiz_file.read_text() == before
    assert "quiz" not in translating.load(starter_sets, SW).done  # type: ignore[union-attr]
    article = swahili_words(starter_sets, "your-cv") | {"body": ""}
    assert "Write the lesson&#39;s text" in tutor.post(f"{TRANSLATE}/{SW}/lessons/your-cv", data=article).text


@pytest.mark.parametrize(
    ("course", "language", "message"),
    [
        ("job-readiness-en", "en", "already in that language"),
        ("job-readiness-en", "fr", "already has a version in Français: Se préparer à trouver un travail."),
        ("no-such-course", "sw", "Choose a course to translate."),
        ("job-readiness-en", "not a code!", "Write the language as a short code"),
    ],
)
def test_a_translation_that_cannot_start_says_why(tutor, starter_sets, course, language, message):
    refused = tutor.post(TRANSLATE, data={"course": course, "language": language})
    assert refused.status_code == 400 and message in refused.text
    assert translating.in_progress(starter_sets) == []


def test_residents_cannot_reach_the_translation_pages(starter_sets):
    learner = signed_in(starter_sets, Role.LEARNER)
    assert learner.get(TRANSLATE).status_code in (403, 404)
    assert learner.post(TRANSLATE, data={"course": "job-readiness-en", "language": "sw"}).status_code == 403


def test_a_lesson_offers_the_same_lesson_in_the_other_languages_or_else_the_course(starter_sets):
    reader = BrowserClient(signed_in(starter_sets, Role.LEARNER).app, base_url="http://hub.test")
    page = reader.get("/courses/job-readiness-en/interview").text
    for language in ("fr", "es", "ar"):
        assert f'href="/courses/job-readiness-{language}/interview"' in page
    assert 'hreflang="ar">العربية</a>' in page
    english_only = reader.get("/courses/hand-hygiene-en/little-water").text  # not in the Arabic course
    assert 'href="/courses/hand-hygiene-ar"' in english_only
    assert (
        'href="/courses/hand-hygiene-fr/why-hands"' in reader.get("/courses/hand-hygiene-en/why-hands").text
    )
