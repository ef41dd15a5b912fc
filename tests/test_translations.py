"""The French catalog: complete, in step with the sources, and safe to format.

Message ids are English and live in the sources (Python and templates, as
``babel.cfg`` lists them); ``translations/fr/LC_MESSAGES/messages.po`` must give
each of them a French text. To update it after changing a message::

    pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 \\
        --no-location --omit-header -o /tmp/messages.pot .
    pybabel update -i /tmp/messages.pot -d ecitiz_kit/translations -l fr \\
        --no-fuzzy-matching --ignore-obsolete

then translate the new entries (and drop any ``#:`` location comments).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages import frontend
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ecitiz_kit import lifecycle
from ecitiz_kit.i18n import gettext, ngettext

from .helpers import form_url

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "ecitiz_kit" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}

# A printf-style conversion: ``%%`` or ``%(name)`` followed by flags and a type.
CONVERSION = re.compile(
    r"%(?:%|\((?P<name>\w+)\)[#0\- +]*(?:\d+)?(?:\.\d+)?(?P<type>[diouxXeEfFgGcrsa]))"
)


def _method_map():
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with open(ROOT / "babel.cfg", encoding="utf-8") as fp:
        return parse(fp)


def _key(message_id):
    """A message's identity: its id, or (singular, plural) for ngettext."""
    return tuple(message_id) if isinstance(message_id, (list, tuple)) else message_id


def _show(key) -> str:
    return " / ".join(key) if isinstance(key, tuple) else key


@pytest.fixture(scope="module")
def source_ids() -> set:
    """Every message id the sources ask to translate."""
    method_map, options_map = _method_map()
    found = extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    )
    return {_key(message) for _filename, _lineno, message, _comments, _ctx in found}


@pytest.fixture(scope="module")
def po():
    with open(PO_FILE, "rb") as fp:
        return read_po(fp, locale="fr")


def _entries(catalog):
    return [message for message in catalog if message.id]


def _placeholders(text: str) -> set[tuple[str, str]]:
    return {
        (m.group("name"), m.group("type"))
        for m in CONVERSION.finditer(text)
        if m.group("name")
    }


def _pairs(message):
    """(English, French) pairs to compare: one per plural form for ngettext."""
    if isinstance(message.id, (list, tuple)):
        singular, plural = message.id
        strings = list(message.string)
        # French has two forms: [0] for 0 and 1 (the singular), [1] for the rest.
        return [(singular, strings[0])] + [(plural, s) for s in strings[1:]]
    return [(message.id, message.string)]


def test_sources_have_messages(source_ids):
    assert len(source_ids) > 50
    assert "Accepted" in source_ids  # from Python
    assert "Send my request" in source_ids  # from a template
    assert (
        "There is %(num)d problem with your answers",
        "There are %(num)d problems with your answers",
    ) in source_ids


def test_catalog_header_is_french_with_two_plural_forms(po):
    assert str(po.locale) == "fr"
    assert po.num_plurals == 2
    assert po.plural_expr.replace(" ", "") == "(n>1)"
    assert po.charset.lower() == "utf-8"


def test_every_source_message_has_a_french_translation(source_ids, po):
    translated = {
        _key(m.id)
        for m in _entries(po)
        if not m.fuzzy
        and (
            all(s.strip() for s in m.string) and len(m.string) == po.num_plurals
            if isinstance(m.id, (list, tuple))
            else bool(m.string.strip())
        )
    }
    missing = sorted(map(_show, source_ids - translated))
    assert not missing, "not translated (or fuzzy) in messages.po:\n" + "\n".join(
        missing
    )


def test_catalog_has_no_obsolete_entries(source_ids, po):
    assert not po.obsolete, f"obsolete (#~) entries: {sorted(po.obsolete)}"
    stale = sorted(
        _show(_key(m.id)) for m in _entries(po) if _key(m.id) not in source_ids
    )
    assert not stale, "in messages.po but no longer in the sources:\n" + "\n".join(
        stale
    )


def test_catalog_keeps_no_location_comments():
    text = PO_FILE.read_text(encoding="utf-8")
    assert not re.search(r"^#:", text, re.MULTILINE)


def test_translations_keep_the_placeholders_of_their_message(po):
    wrong = []
    for message in _entries(po):
        for english, french in _pairs(message):
            if _placeholders(english) != _placeholders(french):
                wrong.append(f"{english!r} -> {french!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_formatted_translations_fill_in_without_error(po):
    """A stray ``%`` would break ``text % variables`` at run time."""
    for message in _entries(po):
        for english, french in _pairs(message):
            names = {name for name, _type in _placeholders(english)}
            if not names:
                continue
            assert message.python_format, english
            values = {name: 1 for name in names}
            assert french % values, english


# A mark that needs a no-break space before it (or after it, for «), or a
# character French typography replaces: ' by ’ and “ ” by « ».
TYPOGRAPHY = re.compile(r"(?<!\u00a0)[:;!?»]|(?<!\u00a0)%(?![(%])|«(?!\u00a0)|['“”]")


def test_translations_follow_french_typography(po):
    bad = [
        french
        for message in _entries(po)
        for _english, french in _pairs(message)
        if TYPOGRAPHY.search(french)
    ]
    assert not bad, "French typography (’, « », no-break spaces):\n" + "\n".join(bad)


# -- behaviour through the kit ---------------------------------------------------


def test_gettext_gives_french_or_english():
    assert gettext("Accepted", "fr") == "Acceptée"
    assert gettext("Accepted", "en") == "Accepted"
    assert lifecycle.status_name(lifecycle.CLOSED, "fr") == "Classée sans suite"
    assert lifecycle.status_name(lifecycle.CLOSED, "en") == "Closed without a decision"


def test_placeholders_are_filled_in_french():
    assert gettext("%(value)s MB", "fr", value="5") == "5\u00a0Mo"
    message = "Enter an amount between %(min)s and %(max)s."
    assert gettext(message, "fr", min="1", max="9") == (
        "Saisissez un montant compris entre 1 et 9."
    )


def test_french_plural_forms_follow_french_rules():
    one = ngettext("Add a file.", "Add at least %(num)s files.", 1, "fr")
    three = ngettext("Add a file.", "Add at least %(num)s files.", 3, "fr")
    assert (one, three) == ("Joignez un fichier.", "Joignez au moins 3 fichiers.")
    singular = "There is %(num)d problem with your answers"
    plural = "There are %(num)d problems with your answers"
    assert ngettext(singular, plural, 0, "fr").endswith("0 problème dans vos réponses")
    assert (
        ngettext(singular, plural, 0, "en") == "There are 0 problems with your answers"
    )


def test_form_page_is_french_by_default_and_english_on_request(client):
    french = client.get(form_url("attestation")).get_data(as_text=True)
    english = client.get(form_url("attestation") + "?lang=en").get_data(as_text=True)
    assert "Envoyer ma demande" in french and "Send my request" not in french
    assert "Send my request" in english and "Envoyer ma demande" not in english
    # A form in steps too: its page and buttons.
    french = client.get(form_url()).get_data(as_text=True)
    english = client.get(form_url() + "?lang=en").get_data(as_text=True)
    assert "Étape 1 sur 7" in french and "Continuer" in french
    assert "Step 1 of 7" in english and "Continue" in english


def test_no_message_is_translated_twice():
    # Babel keeps one of two entries for the same message id without a word, so
    # a duplicate would silently override the French text chosen for it.
    text = PO_FILE.read_text(encoding="utf-8")
    ids = [
        "".join(re.findall(r'"(.*)"', block))
        for block in re.findall(r'^msgid ((?:".*"\n)+)', text, flags=re.M)
    ]
    assert len(ids) > 100  # the file was read
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
