import os
import time

from ecitiz_kit.store.uploads import UploadArea


def test_staged_file_is_private_and_promoted(tmp_path):
    area = UploadArea(tmp_path)
    name, digest = area.stage(b"hello")
    part = area.path(name).with_name(name + ".part")
    assert part.exists() and not area.path(name).exists()
    assert oct(part.stat().st_mode & 0o777) == "0o600"
    area.promote([name])
    assert area.path(name).read_bytes() == b"hello"
    assert len(digest) == 64


def test_discard_removes_parts_and_promoted_files(tmp_path):
    area = UploadArea(tmp_path)
    a, _ = area.stage(b"a")
    b, _ = area.stage(b"b")
    area.promote([a])
    area.discard([a, b])
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_recover_keeps_committed_parts_and_drops_orphans(tmp_path):
    area = UploadArea(tmp_path)
    kept, _ = area.stage(b"committed")
    orphan, _ = area.stage(b"orphan")
    recent, _ = area.stage(b"in progress elsewhere")
    old = time.time() - 7200
    for name in (kept, orphan):
        os.utime(area.path(name).with_name(name + ".part"), (old, old))
    assert area.recover(lambda n: n == kept, min_age=3600) == (1, 1)
    assert area.path(kept).read_bytes() == b"committed"
    assert not area.path(orphan).with_name(orphan + ".part").exists()
    assert area.path(recent).with_name(recent + ".part").exists()


def test_stored_names_cannot_escape_the_folder(tmp_path):
    area = UploadArea(tmp_path)
    for bad in ("../../etc/passwd", "a" * 31 + "/", "A" * 32):
        try:
            area.path(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_promote_accepts_a_file_recovery_already_moved(tmp_path):
    area = UploadArea(tmp_path)
    name, _ = area.stage(b"committed")
    # Another process starting up moves the committed part first.
    assert area.recover(lambda n: True) == (1, 0)
    area.promote([name])
    assert area.path(name).read_bytes() == b"committed"
