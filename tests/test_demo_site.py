"""The demo site: its forms take the site's own look, set once like any theme."""

import re
from pathlib import Path

import demo_site
from ecitiz_kit.state import state


def test_the_demo_forms_match_the_sites_colours(tmp_path, monkeypatch):
    css = (Path(demo_site.__file__).parent / "static" / "site.css").read_text()
    header = re.search(r"\.site-header \{ background: (#[0-9a-f]{6});", css)
    assert header is not None
    assert demo_site.SITE_THEME[0] == header.group(1)
    assert "border-radius: 8px" in css and "font-family: Georgia" in css

    monkeypatch.setenv("ECITIZ_DATA_DIR", str(tmp_path / "demo"))
    app = demo_site.create_app()
    page = app.test_client().get(f"/kit/f/{demo_site.ORG_SLUG}/aid-request")
    text = page.get_data(as_text=True)
    assert f"--ecitiz-primary:{header.group(1)}" in text
    assert "--ecitiz-radius:8px" in text and "Georgia" in text

    # A theme changed later in the settings survives the next start.
    with app.app_context():
        store = state(app).store
        organisation = store.organisation(demo_site.ORG_SLUG)
        store.set_theme(organisation["id"], "#1d4ed8", None, None)
    again = demo_site.create_app()
    text = again.test_client().get(f"/kit/f/{demo_site.ORG_SLUG}/aid-request").text
    assert "--ecitiz-primary:#1d4ed8" in text
