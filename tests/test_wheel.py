"""The built wheel carries everything the kit serves: templates, CSS, scripts
(the embed loader and frame helper too, without their tests, and those of every
released version), translations, forms and the fonts its PDFs embed."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What host pages that pasted the 0.1.0 snippet pin the loader to.
RELEASED_LOADER_SRI = json.loads(
    (ROOT / "widgets" / "released" / "manifest.json").read_text()
)["0.1.0"]["ecitiz.js"]

#: What a build never takes from the checkout.
IGNORED = shutil.ignore_patterns(
    ".git", "build", "dist", "node_modules", "instance", "*.egg-info", "__pycache__"
)

SCRIPT = textwrap.dedent(
    """
    import sys, pathlib
    import ecitiz_kit
    from ecitiz_kit import create_app
    from ecitiz_kit.state import state

    here = pathlib.Path(ecitiz_kit.__file__).resolve()
    assert pathlib.Path(sys.prefix).resolve() in here.parents, here
    app = create_app({"SECRET_KEY": "k" * 40, "ECITIZ_DATA_DIR": sys.argv[1]})
    with app.app_context():
        store = state(app).store
        org = store.create_organisation("acme", "ACME")
        store.enable_form(org["id"], "aid-request", 1, None, 730)
    client = app.test_client()
    page = client.get("/ecitiz/f/acme/aid-request")
    css = client.get(f"/ecitiz/assets/{ecitiz_kit.__version__}/ecitiz.css")
    js = client.get(f"/ecitiz/assets/{ecitiz_kit.__version__}/verify.js")
    loader = client.get(f"/ecitiz/widget/{ecitiz_kit.__version__}/ecitiz.js")
    frame = client.get(f"/ecitiz/widget/{ecitiz_kit.__version__}/frame.js")
    released = client.get("/ecitiz/widget/0.1.0/ecitiz.js")
    import base64, hashlib
    sri = "sha384-" + base64.b64encode(hashlib.sha384(released.data).digest()).decode()
    widgets = pathlib.Path(ecitiz_kit.__file__).resolve().parent / "widgets"
    from ecitiz_kit.web.snippets import script_snippet
    snippet = script_snippet("acme", "aid-request", "Aide", "https://k.example")
    from ecitiz_kit.documents.layout import ReceiptDocument, receipt_pdf
    pdf = receipt_pdf(ReceiptDocument("ACME", "Aide", "AID-2345-6789", "1 déc.",
                                      [], "https://x.example/s/t", "fr"))
    print(page.status_code, css.status_code, b"<form" in page.data,
          b".ecitiz-page" in css.data, "Envoyer" in page.get_data(as_text=True),
          js.status_code, b"DejaVu" in pdf, loader.status_code,
          b"ecitiz:" in loader.data, frame.status_code,
          sorted(p.name for p in widgets.iterdir()), "sha384-" in snippet,
          released.status_code, sri == sys.argv[2])
    """
)


@pytest.mark.slow
def test_installed_wheel_serves_pages_and_assets(tmp_path):
    # Build from a copy of the sources: setuptools would otherwise reuse what an
    # earlier build left in the checkout's build/ folder, and hide a missing entry.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=IGNORED)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("ecitiz_kit-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ECITIZ_", "PYTHON"))
    }
    result = subprocess.run(
        [str(python), "-c", SCRIPT, str(tmp_path / "data"), RELEASED_LOADER_SRI],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "200", "200", "True", "True", "True", "200", "True", "200", "True", "200",
        "['ecitiz.js',", "'frame.js',", "'released']", "True", "200", "True",
    ]  # fmt: skip
