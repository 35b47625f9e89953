"""Every user-facing string has a Chinese translation: the catalogues are extracted afresh from the code (Django's
makemessages, in a copy of the tree) and each must have no untranslated and no fuzzy entry. Catches a string
added to the code but never extracted, which the committed .po files alone would not show."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Strings used only by tests and benchmarks (they quote the apps' msgids) are not the platform's own.
IGNORE = [".venv", "var", "tests", "bench", "test-artifacts", "node_modules"]

pytestmark = pytest.mark.skipif(not (shutil.which("xgettext") and shutil.which("msgattrib") and shutil.which("git")),
                                reason="GNU gettext and git are needed to extract the catalogues")


def _entries(po: Path, flag: str) -> list[str]:
    out = subprocess.run(["msgattrib", flag, "--no-wrap", str(po)], capture_output=True, text=True, check=True).stdout
    return [line[len('msgid "'):-1] for line in out.splitlines() if line.startswith('msgid "') and line != 'msgid ""']


def test_every_extracted_string_has_a_chinese_translation(tmp_path):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    copy = tmp_path / "tree"
    for name in filter(None, (f.decode() for f in files)):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "platform_site.settings.local"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "-v0",
                    *(f"--ignore={d}" for d in IGNORE)], cwd=copy, env=env, check=True)
    catalogues = sorted(copy.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
    assert len(catalogues) >= 6  # the project's own and one per app
    missing = {str(po.relative_to(copy)): _entries(po, "--untranslated") + _entries(po, "--only-fuzzy")
               for po in catalogues}
    assert {k: v for k, v in missing.items() if v} == {}


def _catalogue(po: Path) -> dict[tuple[str | None, str], str]:
    """(context, msgid) -> msgstr of one .po file (obsolete entries left out)."""
    import re

    out = {}
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        entry = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if entry is None:
            continue
        msgid = "".join(re.findall(r'"(.*)"', entry.group(1)))
        context = re.search(r'^msgctxt "(.*)"$', block, re.M)
        if msgid:
            out[(context.group(1) if context else None, msgid)] = "".join(re.findall(r'"(.*)"', entry.group(2)))
    return out


def test_no_string_is_translated_two_ways_across_the_apps():
    """Django merges every app's catalogue into one (the first installed app wins), so the same English string
    translated differently in two apps shows the wrong one in one of them ("Open" as a link and as a state,
    "Times" as times of day and as a count). Different meanings need a context (pgettext / translate context)."""
    catalogues = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")) + [ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"]
    seen: dict[tuple[str | None, str], dict[str, str]] = {}
    for po in catalogues:
        for key, text in _catalogue(po).items():
            seen.setdefault(key, {})[str(po.relative_to(ROOT).parts[0])] = text
    conflicts = {key: apps for key, apps in seen.items() if len(set(apps.values())) > 1}
    assert conflicts == {}


def test_every_translation_we_wrote_is_the_one_shown():
    """Django's own and the libraries' catalogues (admin, allauth, DRF) are merged before the apps' ones for the
    same string: ours must either agree with them or carry a context ("Note" is 注意 in Django's, 备注 here)."""
    from django.utils import translation

    catalogues = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")) + [ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"]
    overridden = []
    with translation.override("zh-hans"):
        for po in catalogues:
            for (context, msgid), text in _catalogue(po).items():
                shown = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
                if text and shown != text:
                    overridden.append((str(po.relative_to(ROOT).parts[0]), context, msgid, text, shown))
    assert overridden == []
