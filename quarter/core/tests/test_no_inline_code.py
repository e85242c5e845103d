"""Guards for the CSP: no inline script or style in templates, no HTML from strings.

The Content-Security-Policy refuses inline script; these checks name the file
and line that would break a page (or reopen the stored-XSS hole) before a
browser ever sees it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html")) + sorted(
    (ROOT / "quarter").rglob("templates/**/*.html")
)
SCRIPTS = sorted((ROOT / "static").rglob("*.js"))

INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I
)
EVENT_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
HTML_SINKS = re.compile(
    r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write"
)
# A Leaflet label must be a DOM node built from text, never a string.
LABEL_CALL = re.compile(r"\.bind(Popup|Tooltip)\(\s*([A-Za-z_.]+)")
LABEL_BUILDERS = {"text", "textLabel", "QuarterMap.textLabel", "compoundPopup", "div"}


def _hits(paths, pattern):
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_templates_have_no_inline_script_handlers_or_styles():
    assert TEMPLATES
    assert _hits(TEMPLATES, INLINE_SCRIPT) == []
    assert _hits(TEMPLATES, EVENT_ATTRIBUTE) == []
    assert _hits(TEMPLATES, STYLE_ATTRIBUTE) == []


def test_scripts_build_no_html_from_strings():
    assert SCRIPTS
    assert _hits(SCRIPTS, HTML_SINKS) == []


def test_map_labels_are_built_from_text_nodes():
    calls = []
    for path in SCRIPTS:
        for match in LABEL_CALL.finditer(path.read_text()):
            calls.append((path.name, match.group(2)))
    assert calls, "no Leaflet labels found: did the map scripts move?"
    assert [c for c in calls if c[1] not in LABEL_BUILDERS] == []
