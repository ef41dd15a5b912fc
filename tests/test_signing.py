import base64
import os
import re
import stat
import unicodedata
from datetime import date, datetime

import pytest
import segno

from ecitiz_kit.documents import signing
from ecitiz_kit.documents.signing import (
    ALPHABET,
    MAX_NAME_BYTES,
    Claims,
    KeyFileError,
    KeyFiles,
    check,
    decode_b64url,
    display_name,
    format_serial,
    generate_private_key,
    new_kid,
    new_serial,
    normalise_serial,
    payload_from,
    public_key_bytes,
    sign,
    verify_url,
)

BASE = "https://forms.example.org/ecitiz"
KEY = generate_private_key()
OTHER_KEY = generate_private_key()
KEYS = {"K7Q2": public_key_bytes(KEY)}
CLAIMS = Claims(
    kid="K7Q2",
    serial="7K3F9Q2MXD",
    type="ATT",
    holder="NGUYỄN Z.",
    valid_from=date(2026, 12, 1),
    valid_to=date(2026, 12, 31),
)
IN_DECEMBER = date(2026, 12, 15)
_DEC = (date(2026, 12, 1), date(2026, 12, 31))
# Every character a payload or URL may plausibly hold, plus a few it may not.
SUBSTITUTES = (
    ALPHABET
    + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_."
    + "+/= #é\x00"
)


def _signed(unsigned: str, key=KEY) -> str:
    """A payload signed by a genuine key, whatever its content."""
    sig = base64.urlsafe_b64encode(key.sign(unsigned.encode())).rstrip(b"=")
    return unsigned + "." + sig.decode()


def test_round_trip_is_valid_and_returns_the_claims():
    payload = sign(CLAIMS, KEY)
    verdict = check(payload, KEYS, IN_DECEMBER)
    assert verdict.verdict == "valid"
    assert verdict.ok
    assert verdict.claims == CLAIMS


def test_payload_has_the_contract_layout():
    payload = sign(CLAIMS, KEY)
    assert payload.startswith(
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.20261201.20261231."
    )
    assert re.fullmatch(r"[A-Za-z0-9_-]{86}", payload.split(".")[-1])
    # Ed25519 is deterministic: the same claims always give the same payload.
    assert sign(CLAIMS, KEY) == payload


def test_every_single_character_change_is_not_valid():
    payload = sign(CLAIMS, KEY)
    signature_start = payload.rindex(".") + 1
    tried = 0
    for position, original in enumerate(payload):
        for substitute in SUBSTITUTES:
            if substitute == original:
                continue
            changed = payload[:position] + substitute + payload[position + 1 :]
            verdict = check(changed, KEYS, IN_DECEMBER)
            assert verdict.verdict != "valid", (position, substitute)
            assert verdict.claims is None  # nothing unverified is shown
            tried += 1
        deleted = payload[:position] + payload[position + 1 :]
        assert check(deleted, KEYS, IN_DECEMBER).verdict != "valid", position
    # The loop covered both the signed part and the signature.
    assert signature_start > 50 and len(payload) - signature_start == 86
    assert tried > len(payload) * 60


def test_non_canonical_signature_spelling_is_forged():
    payload = sign(CLAIMS, KEY)
    last = payload[-1]
    # The last base64 character carries 2 signature bits and 4 padding bits: the
    # lenient decoder reads its siblings as the same signature.
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = b64[b64.index(last) ^ 1]
    twin = payload[:-1] + sibling
    lenient = base64.urlsafe_b64decode(twin.split(".")[-1] + "==")
    assert lenient == base64.urlsafe_b64decode(payload.split(".")[-1] + "==")
    assert check(twin, KEYS, IN_DECEMBER).verdict == "forged"


def test_unknown_kid_gives_unknown_key_without_claims():
    payload = sign(CLAIMS, KEY)
    verdict = check(payload, {"ZZZZ": public_key_bytes(KEY)}, IN_DECEMBER)
    assert verdict.verdict == "unknown-key"
    assert verdict.claims is None
    assert not verdict.ok


def test_unusable_published_key_counts_as_unknown():
    payload = sign(CLAIMS, KEY)
    assert check(payload, {"K7Q2": b"short"}, IN_DECEMBER).verdict == "unknown-key"
    assert check(payload, {"K7Q2": None}, IN_DECEMBER).verdict == "unknown-key"


def test_signature_by_another_key_under_a_published_kid_is_forged():
    payload = sign(CLAIMS, OTHER_KEY)
    verdict = check(payload, KEYS, IN_DECEMBER)
    assert verdict.verdict == "forged"
    assert verdict.claims is None


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 30), "not-yet-valid"),
        (date(2026, 12, 1), "valid"),
        (date(2026, 12, 31), "valid"),
        (date(2027, 1, 1), "expired"),
        (datetime(2027, 1, 1, 0, 0, 1), "expired"),
    ],
)
def test_validity_period_is_inclusive_calendar_days(today, expected):
    verdict = check(sign(CLAIMS, KEY), KEYS, today)
    assert verdict.verdict == expected
    assert verdict.claims == CLAIMS


def test_revoked_serial_is_reported_with_claims():
    asked = []

    def is_revoked(serial):
        asked.append(serial)
        return True

    verdict = check(sign(CLAIMS, KEY), KEYS, IN_DECEMBER, is_revoked)
    assert verdict.verdict == "revoked"
    assert verdict.claims == CLAIMS
    assert asked == ["7K3F9Q2MXD"]
    # Revocation outranks expiry: a revoked document never reads as merely expired.
    assert check(sign(CLAIMS, KEY), KEYS, date(2030, 1, 1), is_revoked).verdict == (
        "revoked"
    )


def test_revocation_is_not_asked_about_forged_or_unknown_payloads():
    asked = []

    def is_revoked(serial):
        asked.append(serial)
        return True

    payload = sign(CLAIMS, OTHER_KEY)
    assert check(payload, KEYS, IN_DECEMBER, is_revoked).verdict == "forged"
    assert check("garbage", KEYS, IN_DECEMBER, is_revoked).verdict == "forged"
    other_kid = {"AAAA": public_key_bytes(KEY)}
    assert check(sign(CLAIMS, KEY), other_kid, IN_DECEMBER, is_revoked).verdict == (
        "unknown-key"
    )
    assert asked == []
    assert check(sign(CLAIMS, KEY), KEYS, IN_DECEMBER, lambda s: False).ok


def test_whole_url_is_accepted():
    payload = sign(CLAIMS, KEY)
    url = verify_url(BASE + "/", payload)
    assert url == BASE + "/v#" + payload
    assert payload_from(url) == payload
    assert payload_from(f"  {payload}\n") == payload
    assert check(url, KEYS, IN_DECEMBER).ok
    assert check(f"\n {url} \r\n", KEYS, IN_DECEMBER).ok
    assert check(BASE + "/v#" + payload + "#x", KEYS, IN_DECEMBER).verdict == "forged"


HOSTILE = [
    "",
    " ",
    "#",
    ".......",
    "........",
    "1.K7Q2.7K3F9Q2MXD.ATT",
    "x" * 1_000_000,
    "#" + "." * 1_000_000,
    "1." + "A." * 500_000,
    "é" * 300,
    "\x00\ud800\U0010ffff",
    "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.20261201.20261231.!!!",
    "<script>alert(1)</script>",
    "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.20261201.20261231." + "A" * 87,
    "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.20261201.20261231." + "=" * 86,
    None,
    b"1.K7Q2",
    12,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_forged_and_never_raises(text):
    verdict = check(text, KEYS, IN_DECEMBER, lambda s: pytest.fail("asked"))
    assert verdict.verdict == "forged"
    assert verdict.claims is None


@pytest.mark.parametrize(
    "unsigned",
    [
        # Genuinely signed, yet malformed: structure is checked, not only signatures.
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.20261332.20261231",  # month 13
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.20260230.20261231",  # 30 February
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.00000101.20261231",  # year 0
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.2026121.20261231",
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.２０２６１２０１.20261231",
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.20261231.20261201",  # ends first
        "2.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.20261201.20261231",  # version
        "1.K7Q2.7K3F9Q2MXD.XYZ.TkdVWeG7hE4gWi4.20261201.20261231",  # type
        "1.K7Q2.7K3F9Q2MX0.ATT.TkdVWeG7hE4gWi4.20261201.20261231",  # 0 in serial
        "1.K7Q2.7K3F9Q2MX.ATT.TkdVWeG7hE4gWi4.20261201.20261231",
        "1.k7q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.20261201.20261231",
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi5.20261201.20261231",  # stray bits
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4=.20261201.20261231",
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7+E4gWi4.20261201.20261231",
        "1.K7Q2.7K3F9Q2MXD.ATT..20261201.20261231",  # empty name
        "1.K7Q2.7K3F9Q2MXD.ATT.__8.20261201.20261231",  # not UTF-8
        "1.K7Q2.7K3F9Q2MXD.ATT.QQBC.20261201.20261231",  # NUL in the name
        "1.K7Q2.7K3F9Q2MXD.ATT."
        + signing.encode_b64url(b"A" * 41)
        + ".20261201.20261231",  # 41 bytes
        "1.K7Q2.7K3F9Q2MXD.ATT.TkdVWeG7hE4gWi4.20261201.20261231.extra",
    ],
)
def test_signed_but_malformed_payload_is_forged(unsigned):
    payload = _signed(unsigned)
    assert check(payload, KEYS, IN_DECEMBER).verdict == "forged"


def test_typical_payload_is_short_and_fits_qr_version_10():
    payload = sign(CLAIMS, KEY)
    assert len(payload) <= 160
    qr = segno.make(verify_url(BASE, payload), error="m", boost_error=False)
    assert qr.version <= 10


def test_longest_payload_fits_qr_version_10():
    holder = display_name("Zoé", "Nguyen" * 50)
    assert len(holder.encode()) == MAX_NAME_BYTES
    payload = sign(Claims("K7Q2", "7K3F9Q2MXD", "ATT", holder, *_DEC), KEY)
    assert len(payload) <= 170
    assert check(payload, KEYS, IN_DECEMBER).claims.holder == holder
    qr = segno.make(verify_url(BASE, payload), error="m", boost_error=False)
    assert qr.version <= 10


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Zoé", "Nguyễn", "NGUYỄN Z."),
        # Decomposed accents (macOS keyboards) give the same signed name.
        ("Zoe\u0301", "Nguye\u0302\u0303n", "NGUYỄN Z."),
        ("élodie", "d’Arc", "D’ARC É."),
        ("  Jean\tPierre ", " Le   Gall\n", "LE GALL J."),
        ("Jean\x00", "Du\x07pont\u202e", "DUPONT J."),
        ("", "Martin", "MARTIN"),
        ("Chloé", "", "C."),
        ("", "", "?"),
        ("\x00\x1b", "\u200b\u202e\t", "?"),
        ("محمد", "الأحمد", "الأحمد م."),
        ("😀", "Smith", "SMITH 😀."),
        ("’Ana", "Lopez", "LOPEZ A."),
        ("straße", "Weiß", "WEISS S."),
    ],
)
def test_display_name(first, last, expected):
    assert display_name(first, last) == expected


def test_display_name_of_500_characters_is_cut_keeping_the_initial():
    name = display_name("Zoé" * 200, "Nguyễn" * 100)
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert name.endswith(" Z.")
    assert ("NGUYỄN" * 100).startswith(name[: -len(" Z.")])


@pytest.mark.parametrize(
    "last",
    ["é" * 100, "ễ" * 100, "A" + "é" * 100, "AB" + "😀" * 100, "e\u0301" * 50],
)
def test_name_cut_never_splits_a_character(last):
    name = display_name("", last)
    raw = name.encode()
    assert len(raw) <= MAX_NAME_BYTES
    assert len(raw) >= MAX_NAME_BYTES - 4  # cut as late as whole characters allow
    assert unicodedata.normalize("NFC", last.upper()).startswith(name)


def test_cut_never_strands_a_mark_or_ends_on_a_joiner():
    # "q" + combining dot has no precomposed form, so NFC keeps two code points.
    assert display_name("", "q\u0307" * 20).endswith("Q\u0307")
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 18 bytes
    name = display_name("", family * 3)
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert not name.endswith("\u200d")
    assert name.startswith(family)


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Zoé", "Nguyễn"),
        ("e" + "\u0301" * 50, "x" * 500),
        ("ǰan", "ǰ" * 40),
        ("😀", "😀" * 30),
        ("\ud800", "\udfff"),
        ("ß" * 30, "ﬃ" * 30),
        ("", "\U0001f468\u200d" * 30),
    ],
)
def test_every_display_name_can_be_signed_and_verified(first, last):
    holder = display_name(first, last)
    claims = Claims("K7Q2", "7K3F9Q2MXD", "ATT", holder, *_DEC)
    assert check(sign(claims, KEY), KEYS, IN_DECEMBER).claims.holder == holder


@pytest.mark.parametrize(
    "changes",
    [
        {"kid": "K7Q"},
        {"kid": "K7Q0"},
        {"serial": "7K3F9Q2MXI"},
        {"type": "DPL"},
        {"holder": ""},
        {"holder": "A" * 41},
        {"holder": "A\nB"},
        {"valid_to": date(2026, 11, 30)},
    ],
)
def test_sign_refuses_claims_no_check_would_accept(changes):
    fields = {**CLAIMS.__dict__, **changes}
    with pytest.raises(ValueError):
        sign(Claims(**fields), KEY)


def test_new_kid_and_serial_are_random_codes_of_the_alphabet():
    kids = {new_kid() for _ in range(50)}
    serials = {new_serial() for _ in range(50)}
    assert len(serials) == 50 and len(kids) > 40
    assert all(len(k) == 4 and set(k) <= set(ALPHABET) for k in kids)
    assert all(len(s) == 10 and set(s) <= set(ALPHABET) for s in serials)
    assert set("0O1I").isdisjoint(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7K3F9Q2MXD", "7K3F9Q2MXD"),
        ("7k3f9-q2mxd", "7K3F9Q2MXD"),
        (" 7K3F9 Q2MXD ", "7K3F9Q2MXD"),
        ("7K3F9\u2013Q2MXD", "7K3F9Q2MXD"),
        ("7K3F9Q2MX0", None),  # zero is never in a serial: not guessed at
        ("7K3F9Q2MXO", None),
        ("7K3F9Q2MX1", None),
        ("7K3F9Q2MXI", None),
        ("7K3F9Q2MX", None),
        ("7K3F9Q2MXDD", None),
        ("7K3F9Q2MXſ", None),  # upper-cases to S, but was never typed as one
        ("７K3F9Q2MXD", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_serial(typed, expected):
    assert normalise_serial(typed) == expected


def test_format_serial():
    assert format_serial("7K3F9Q2MXD") == "7K3F9-Q2MXD"
    assert format_serial("7k3f9-q2mxd") == "7K3F9-Q2MXD"
    with pytest.raises(ValueError):
        format_serial("7K3F9Q2MX0")


def test_key_bytes_are_raw_32_bytes():
    assert len(public_key_bytes(KEY)) == 32
    assert public_key_bytes(KEY) != public_key_bytes(OTHER_KEY)
    assert decode_b64url(signing.encode_b64url(public_key_bytes(KEY))) == (
        public_key_bytes(KEY)
    )


def test_key_file_is_private_from_creation_and_loads_back(tmp_path):
    folder = tmp_path / "keys"
    files = KeyFiles(folder)
    old_umask = os.umask(0)  # the mode must not depend on the umask
    try:
        path = files.save("K7Q2", KEY)
    finally:
        os.umask(old_umask)
    assert path == folder / "K7Q2.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert files.exists("K7Q2") and not files.exists("AAAA")
    loaded = files.load("K7Q2")
    assert loaded.private_bytes_raw() == KEY.private_bytes_raw()
    assert check(sign(CLAIMS, loaded), KEYS, IN_DECEMBER).ok


def test_key_file_has_no_moment_readable_by_others(tmp_path, monkeypatch):
    modes = []
    real_open = os.open

    def watching_open(path, flags, mode=0o777, **kwargs):
        fd = real_open(path, flags, mode, **kwargs)
        if str(path).endswith(".key"):
            modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return fd

    monkeypatch.setattr(signing.os, "open", watching_open)
    old_umask = os.umask(0)
    try:
        KeyFiles(tmp_path).save("K7Q2", KEY)
    finally:
        os.umask(old_umask)
    assert modes == [0o600]


def test_key_file_is_never_overwritten(tmp_path):
    files = KeyFiles(tmp_path)
    path = files.save("K7Q2", KEY)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="K7Q2.key"):
        files.save("K7Q2", OTHER_KEY)
    assert path.read_bytes() == before
    assert files.load("K7Q2").private_bytes_raw() == KEY.private_bytes_raw()


def test_missing_or_malformed_key_file_error_names_the_file(tmp_path):
    files = KeyFiles(tmp_path)
    with pytest.raises(KeyFileError, match=re.escape(str(tmp_path / "AAAA.key"))):
        files.load("AAAA")
    (tmp_path / "BBBB.key").write_bytes(b"not a key")
    with pytest.raises(KeyFileError, match=re.escape(str(tmp_path / "BBBB.key"))):
        files.load("BBBB")


@pytest.mark.parametrize("kid", ["../x", "K7Q2/../../etc", "k7q2", "", "K7Q22"])
def test_key_files_refuse_anything_but_a_kid(tmp_path, kid):
    files = KeyFiles(tmp_path)
    with pytest.raises(ValueError):
        files.save(kid, KEY)
    with pytest.raises(ValueError):
        files.load(kid)
    assert list(tmp_path.iterdir()) == []
