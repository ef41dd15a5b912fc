"""The built wheel carries everything the kit serves: templates, CSS, scripts
(the embed loader and frame helper too, without their tests, and those of every
released version), translations, forms and the fonts its PDFs embed; installed
with its ``server`` extra, the README's standalone commands work as written."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
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
          b".ecitiz-page" in css.data, "Continuer" in page.get_data(as_text=True),
          js.status_code, b"DejaVu" in pdf, loader.status_code,
          b"ecitiz:" in loader.data, frame.status_code,
          sorted(p.name for p in widgets.iterdir()), "sha384-" in snippet,
          released.status_code, sri == sys.argv[2])
    """
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment with the built wheel and its ``server`` extra."""
    tmp_path = tmp_path_factory.mktemp("wheel")
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
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet",
         f"{wheel}[server]"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return wheel, env_dir


def clean_environ() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ECITIZ_", "PYTHON", "FLASK_", "WEB_CONCURRENCY"))
    }


@pytest.mark.slow
def test_installed_wheel_serves_pages_and_assets(tmp_path, installed):
    _wheel, env_dir = installed
    python = env_dir / "bin" / "python"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = clean_environ()
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


def readme_standalone_commands() -> str:
    """The first shell block of the README's "Standalone server" section."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Standalone server") :]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_readme_standalone_commands_work_as_written(tmp_path, installed):
    """The README's commands, in a shell whose PATH starts with the fresh virtual
    environment (as once it is activated): only the package to install, the data
    folder, the public address and the port are this test's own."""
    wheel, env_dir = installed
    port = free_port()
    script = readme_standalone_commands()
    for written, here in [
        ('"ecitiz-kit[server]"', f'"{wheel}[server]"'),
        ("/var/lib/ecitiz", str(tmp_path / "data")),
        ("https://forms.example.org", f"http://127.0.0.1:{port}"),
        ("--host 0.0.0.0 --port 8000", f"--host 127.0.0.1 --port {port}"),
    ]:
        assert written in script
        script = script.replace(written, here)
    env = clean_environ()
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    help_ = subprocess.run(
        ["ecitiz", "--help"], env=env, capture_output=True, text=True, check=True
    )
    assert "serve" in help_.stdout and "create-org" in help_.stdout
    shell = subprocess.Popen(
        ["bash", "-euc", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    page = f"http://127.0.0.1:{port}/ecitiz/f/val-fleuri/aid-request"
    try:
        status = None
        for _attempt in range(600):
            if shell.poll() is not None:
                break
            try:
                with urllib.request.urlopen(page, timeout=5) as response:  # noqa: S310
                    status, body = response.status, response.read()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGTERM)
        output, _ = shell.communicate(timeout=60)
    assert status == 200, output
    assert b"Mairie de Val-Fleuri" in body
    assert "ok:" in output or "warning:" in output  # doctor ran and passed
    assert "Created organisation 'val-fleuri'" in output
