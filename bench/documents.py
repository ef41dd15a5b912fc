"""PDF generation rate of ``ecitiz_kit.documents.layout`` against a core-font baseline.

Run by hand, not in CI::

    python bench/documents.py [--rounds 5] [--count 200] [--lang fr]

Each round renders ``--count`` distinct attestations and receipts (random serials,
signatures and accented names, so no two QR codes are alike) and, just before each
kind, the baseline: fpdf2 writing the same strings on one A4 page with the core
font Helvetica (text folded to Latin-1, which is all it can write), laid out the
same way (one cell per line, ``multi_cell`` when a line does not fit), with no QR
code and no TTF. The baseline is the floor fpdf2 itself sets; the ratio says what
the bundled font and the QR code cost on top of it.

Rates are documents per second of wall time and of this process's CPU time (on a
shared machine the wall rate swings, the CPU rate much less). The goal is at least
100 attestations per second on one core.
"""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

from fpdf import FPDF, XPos, YPos

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecitiz_kit.documents.layout import (
    AttestationDocument,
    ReceiptDocument,
    attestation_pdf,
    receipt_pdf,
)
from ecitiz_kit.i18n import gettext  # noqa: E402

GOAL = 100.0  # attestations per second
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BASE = "https://forms.example.org/ecitiz"
FIRST = ["Zoé", "Chloé", "Maël", "Noël", "Anaïs", "Jérôme", "Ségolène", "Hélène"]
LAST = ["Nguyễn", "Lefèvre", "Œuvray", "Dupont-Aignan", "O’Connor", "Müller", "Trần"]
STREETS = ["rue de l’Église", "allée des Œillets", "bd Saint-Michel", "quai Nord"]


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def attestations(count: int, lang: str, seed: int = 1) -> list[AttestationDocument]:
    """Distinct, realistic attestations (payloads shaped like signed ones)."""
    rng = random.Random(seed)
    docs = []
    for _ in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        serial = _code(rng, 10)
        start = date(2026, 12, 1) + timedelta(days=rng.randrange(30))
        end = start + timedelta(days=30)
        name64 = _b64(f"{last.upper()} {first[0]}.".encode())
        payload = ".".join(
            [
                "1",
                "K7Q2",
                serial,
                "ATT",
                name64,
                start.strftime("%Y%m%d"),
                end.strftime("%Y%m%d"),
                _b64(rng.randbytes(64)),
            ]
        )
        docs.append(
            AttestationDocument(
                title="Attestation de déplacement professionnel",
                organisation="Val-Fleuri Entreprendre",
                holder=f"{first} {last}",
                details=[
                    ("Date de naissance", f"{rng.randrange(1, 28)} mars 1990"),
                    ("Adresse", f"{rng.randrange(1, 200)} {rng.choice(STREETS)}"),
                    ("Motif", "Rendez-vous client — 5 € de frais"),
                ],
                valid_from=start,
                valid_to=end,
                issued_at="29 novembre 2026, 19:28",
                serial=f"{serial[:5]}-{serial[5:]}",
                template_version=2,
                verify_url=f"{BASE}/v#{payload}",
                lang=lang,
            )
        )
    return docs


def receipts(count: int, lang: str, seed: int = 2) -> list[ReceiptDocument]:
    """Distinct receipts with two short sections."""
    rng = random.Random(seed)
    docs = []
    for _ in range(count):
        ref = f"AID-{_code(rng, 4)}-{_code(rng, 4)}"
        docs.append(
            ReceiptDocument(
                organisation="Val-Fleuri Entreprendre",
                form_title="Demande d’aide à la création d’entreprise",
                reference=ref,
                received_at="29 nov. 2026, 19:28",
                sections=[
                    {
                        "title": "Entreprise",
                        "items": [
                            {"label": "Raison sociale", "value": "Les Œufs d’Or"},
                            {"label": "SIRET", "value": "732 829 320 00074"},
                            {"label": "IBAN", "value": "FR76 •••• •••• •••• 1234"},
                        ],
                    },
                    {
                        "title": "Demande",
                        "items": [
                            {"label": "Montant", "value": "5 000 €"},
                            {"label": "Contact", "value": rng.choice(LAST)},
                        ],
                    },
                ],
                tracking_url=f"{BASE}/t/{_b64(rng.randbytes(24))}.{_code(rng, 6)}",
                lang=lang,
            )
        )
    return docs


def attestation_texts(doc: AttestationDocument) -> list[str]:
    """The strings an attestation prints, for the baseline."""
    lang = doc.lang
    texts = [doc.organisation, doc.title, doc.holder]
    for label, value in doc.details:
        texts += [label, value]
    texts += [
        gettext(
            "Valid from %(start)s to %(end)s",
            lang,
            start=doc.valid_from.isoformat(),
            end=doc.valid_to.isoformat(),
        ),
        gettext("Issued on", lang),
        doc.issued_at,
        gettext("Serial", lang),
        doc.serial,
        doc.verify_url,
        gettext("Template version %(version)s", lang, version=doc.template_version),
    ]
    return texts


def receipt_texts(doc: ReceiptDocument) -> list[str]:
    """The strings a receipt prints, for the baseline."""
    lang = doc.lang
    texts = [
        doc.organisation,
        gettext("Acknowledgement of receipt", lang),
        doc.form_title,
        gettext("Reference", lang),
        doc.reference,
        gettext("Received on", lang),
        doc.received_at,
    ]
    for section in doc.sections:
        texts.append(section["title"])
        for item in section["items"]:
            texts += [item["label"], item["value"]]
    texts += [gettext("Follow your request", lang), doc.tracking_url]
    return texts


def baseline_pdf(texts: Sequence[str]) -> bytes:
    """The same strings on one page in Helvetica: no TTF, no QR code."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    pdf.set_font("helvetica", "", 11)
    room = pdf.w - pdf.l_margin - pdf.r_margin - 2 * pdf.c_margin
    for text in texts:
        text = text.encode("latin-1", "replace").decode("latin-1")
        if pdf.get_string_width(text) <= room:
            pdf.cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def timed(
    render: Callable[[object], bytes], docs: Sequence[object]
) -> tuple[float, float]:
    """Documents per second over ``docs``: (wall, CPU)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for doc in docs:
        pdf = render(doc)
        if not pdf.startswith(b"%PDF-"):
            raise SystemExit("not a PDF")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(docs) / wall, len(docs) / cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--lang", default="fr", choices=["fr", "en"])
    args = parser.parse_args(argv)

    att_docs = attestations(args.count, args.lang)
    rec_docs = receipts(args.count, args.lang)
    att_texts = [attestation_texts(d) for d in att_docs]
    rec_texts = [receipt_texts(d) for d in rec_docs]
    # Warm-up: font parsing, catalogs and imports happen once per process.
    attestation_pdf(att_docs[0])
    receipt_pdf(rec_docs[0])
    baseline_pdf(att_texts[0])

    kinds = {
        "attestation": (attestation_pdf, att_docs, att_texts),
        "receipt": (receipt_pdf, rec_docs, rec_texts),
    }
    results: dict[str, list[tuple[float, float, float, float]]] = {k: [] for k in kinds}
    header = f"{'round':>5} {'kind':<12} {'kit/s':>8} {'base/s':>8} {'ratio':>6}"
    print(header + f" {'kit/s cpu':>10} {'base/s cpu':>10} {'ratio cpu':>9}")
    for number in range(1, args.rounds + 1):
        for kind, (render, docs, texts) in kinds.items():
            base_wall, base_cpu = timed(baseline_pdf, texts)
            kit_wall, kit_cpu = timed(render, docs)
            results[kind].append((kit_wall, base_wall, kit_cpu, base_cpu))
            print(
                f"{number:>5} {kind:<12} {kit_wall:>8.1f} {base_wall:>8.1f}"
                f" {kit_wall / base_wall:>6.3f} {kit_cpu:>10.1f} {base_cpu:>10.1f}"
                f" {kit_cpu / base_cpu:>9.3f}"
            )

    print(f"\nmedians over {args.rounds} rounds of {args.count} documents")
    for kind, rows in results.items():
        kit_wall, base_wall, kit_cpu, base_cpu = (
            statistics.median(column) for column in zip(*rows, strict=True)
        )
        ratios = [k / b for k, b, _, _ in rows]
        cpu_ratios = [k / b for _, _, k, b in rows]
        print(
            f"{kind:<12} kit {kit_wall:7.1f}/s ({1000 / kit_wall:5.1f} ms)"
            f"  baseline {base_wall:7.1f}/s ({1000 / base_wall:5.1f} ms)"
            f"  ratio {statistics.median(ratios):.3f}"
            f" | cpu: kit {kit_cpu:7.1f}/s baseline {base_cpu:7.1f}/s"
            f" ratio {statistics.median(cpu_ratios):.3f}"
        )
    att_rate = statistics.median(row[0] for row in results["attestation"])
    verdict = "met" if att_rate >= GOAL else "NOT met"
    print(f"goal: {GOAL:.0f} attestations/s on one core: {verdict} ({att_rate:.1f}/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
