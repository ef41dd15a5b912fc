import re
from pathlib import Path

import pytest
from cogapp import Cog

from ecitiz_kit import ConfigurationError, create_app
from ecitiz_kit.config import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme():
    documented = set(re.findall(r"^\| `(ECITIZ_[A-Z_]+)` \|", README.read_text(), re.M))
    assert documented == {s.name for s in SETTINGS}


def test_readme_table_is_the_one_generated_from_the_settings(tmp_path):
    # cog --check fails on any difference: a default or a meaning, not only a key.
    assert Cog().main(["cog", "--check", str(README)]) == 0
    drifted = tmp_path / "README.md"
    drifted.write_text(README.read_text().replace("(4 hours)", "(5 hours)", 1))
    assert Cog().main(["cog", "--check", str(drifted)]) != 0


def test_readme_table_rows_come_from_settings():
    for setting in SETTINGS:
        row = f"| `{setting.name}` | {setting.default_text()} | {setting.meaning} |"
        assert row in README.read_text()
    assert next(
        s for s in SETTINGS if s.name == "ECITIZ_MAX_FILE_SIZE"
    ).default_text() == ("`10485760` (10 MiB)")


def test_standalone_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="FLASK_SECRET_KEY"):
        create_app({"ECITIZ_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigurationError):
        create_app({"ECITIZ_DATA_DIR": str(tmp_path), "SECRET_KEY": "changeme"})


def test_standalone_reads_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("ECITIZ_DATA_DIR", str(tmp_path / "env-data"))
    monkeypatch.setenv("ECITIZ_MAX_FILES", "3")
    app = create_app()
    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["ECITIZ_MAX_FILES"] == 3
    assert (tmp_path / "env-data" / "ecitiz.sqlite3").exists()


def test_misspelt_environment_setting_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ECITIZ_DATADIR", str(tmp_path))
    with pytest.raises(ConfigurationError, match="ECITIZ_DATA_DIR"):
        create_app({"SECRET_KEY": "k" * 40})


@pytest.mark.parametrize(
    "key,value",
    [
        ("ECITIZ_URL_PREFIX", "forms/"),
        ("ECITIZ_DEFAULT_LANGUAGE", "de"),
        ("ECITIZ_MAX_FILES", -1),
        ("ECITIZ_PUBLIC_URL", "forms.example.org"),
    ],
)
def test_bad_settings_are_refused_with_their_name(tmp_path, key, value):
    with pytest.raises(ConfigurationError, match=key):
        create_app(
            {"SECRET_KEY": "k" * 40, "ECITIZ_DATA_DIR": str(tmp_path), key: value}
        )


def test_kit_mounts_in_a_host_app_under_its_prefix(tmp_path):
    from flask import Flask

    from ecitiz_kit import EcitizKit

    host = Flask("host")
    host.config.update(
        SECRET_KEY="k" * 40, ECITIZ_DATA_DIR=str(tmp_path), ECITIZ_URL_PREFIX="/forms"
    )
    kit = EcitizKit()
    kit.init_app(host)
    assert "ecitiz" in host.extensions
    response = host.test_client().get("/forms/f/nobody/aid-request")
    assert response.status_code == 404
    assert "ecitiz" in host.cli.commands
