"""Everything the platform writes under var/ is private: files 0600, folders 0700 (the umask set by
the settings at start-up, and Django's upload permissions)."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from ltci.core.uploads import save_upload

ROOT = Path(__file__).resolve().parents[2]


def modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in [folder, *folder.rglob("*")]}


def test_a_fresh_var_folder_its_key_database_and_static_files_are_private(tmp_path):
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LTCI_", "DATABASE_URL", "DJANGO_"))}
    env.update(LTCI_VAR_DIR=str(var), DATABASE_URL=f"sqlite:///{var / 'ltci.sqlite3'}", PYTHONPATH=str(ROOT))
    before = os.umask(0o022)  # as a login shell leaves it: the platform must not rely on its caller
    try:
        for command in (["migrate", "--noinput", "--verbosity", "0"], ["collectstatic", "--noinput", "--verbosity", "0"]):
            done = subprocess.run([sys.executable, "-m", "ltci.cli", *command], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
    finally:
        os.umask(before)
    found = modes(var)
    assert {"secret_key", "ltci.sqlite3", "static/core/console.css"} <= set(found), sorted(found)[:20]
    wrong = {name: oct(mode) for name, mode in found.items()
             if mode != (0o700 if (var / name).is_dir() else 0o600)}
    assert not wrong, wrong


def test_an_upload_is_kept_private(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    path, _ = save_upload(SimpleUploadedFile("roster.csv", b"id_number,name\n"), subdir="roster")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 == stat.S_IMODE(settings.UPLOAD_DIR.stat().st_mode)
