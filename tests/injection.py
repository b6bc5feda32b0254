"""The injection battery: hostile text for every free-text field of a study folder.

One place for the payloads that tests put into excerpts, codebook labels,
definitions and rules, names and notes, and for the checks that none of them
became active in a page or pulled a file into the site:

* :data:`PAYLOADS` and :func:`one_line` (for fields that must be a single line);
* :func:`inject_study` writes the battery into every text field of a study folder;
* :func:`active_content` lists what a page holds that came from a payload;
* :func:`foreign_files` lists files of a site copied from outside the repository.

Every payload carries the marker ``xss`` in what it would run, so a finding can be
traced to the battery rather than to the book's own scripts.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import yaml

from alliance.data.schema import CODEBOOK_FILE, DATAPACKAGE_FILE, SYNTHETIC_KEY, write_datapackage

MARKER = "xss"
"""Substring of every script a payload would run."""

FOREIGN_FILES: tuple[Path, ...] = (Path("/etc/passwd"), Path("/etc/hostname"))
"""Files outside the repository that payloads try to copy into the site."""

PAYLOADS: dict[str, str] = {
    "script": "<script>alert('xss-script')</script>",
    "img-onerror": '<img src="x" onerror="alert(\'xss-img\')">',
    "svg-onload": "<svg onload=\"alert('xss-svg')\"><circle r='1'/></svg>",
    "iframe": "<iframe src=\"javascript:alert('xss-iframe')\"></iframe>",
    "javascript-link": "[click me](javascript:alert('xss-link'))",
    "javascript-anchor": "<a href=\"javascript:alert('xss-anchor')\">click</a>",
    "autolink": "<javascript:alert('xss-autolink')>",
    "entity-script": "&lt;script&gt;alert('xss-entity')&lt;/script&gt;",
    "download-role": "{download}`../../../../../../../../../../etc/passwd`",
    "download-absolute": "{download}`passwd </etc/passwd>`",
    "literalinclude": "```{literalinclude} /etc/passwd\n```",
    "raw-html-directive": "```{raw} html\n<script>alert('xss-raw')</script>\n```",
    "raw-html-colon": ":::{raw} html\n<img src=x onerror=\"alert('xss-colon')\">\n:::",
    "glue-text-role": "{glue:text}`n_excerpts`",
    "glue-md-role": "{glue:md}`codebook_md`",
    "glue-directive": "```{glue:md} excerpts_md\n:format: myst\n```",
    "glue-figure": "```{glue:figure} fig_prevalence\n```",
    "image-traversal": "![p](../../../../../../../../../../etc/hostname)",
    "image-absolute": "![p](/etc/hostname)",
    "fenced-code-cell": "```{code-cell} python\nimport os\nos.system('echo xss')\n```",
    "substitution": "{{ n_excerpts }} and {{ xss }}",
    "math": "$$\\href{javascript:alert('xss-math')}{x}$$ and \\(x\\)",
    "newlines": "first line\n\n# A heading\n\n- a list item\n\n> a quote\n\n| a | table |",
    "terminal": "bell\x07 escape \x1b[31mred\x1b[0m rtl\u202etxt",
}
"""Every payload by name; some span several lines."""


def one_line(text: str) -> str:
    """Return a payload on a single line (for labels, names and notes)."""
    return " ".join(text.split())


def battery(single_line: bool = False) -> list[str]:
    """Return every payload; with ``single_line``, each on one line, and only printable ones.

    (The codebook's schema refuses labels with control characters, so the
    ``terminal`` payload goes only into free text.)
    """
    if single_line:
        return [one_line(t) for t in PAYLOADS.values() if one_line(t).isprintable()]
    return list(PAYLOADS.values())


def _cycle(index: int, single_line: bool = False) -> str:
    texts = battery(single_line)
    return texts[index % len(texts)]


def _rewrite_csv(path: Path, columns: dict[str, bool]) -> None:
    """Put a payload in each of ``columns`` (name -> single line?) of every row."""
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    for number, row in enumerate(rows):
        for column, single_line in columns.items():
            row[column] = _cycle(number, single_line)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def inject_codebook(codebook: dict) -> dict:
    """Return ``codebook`` with a payload in every free-text field.

    The codebook's schema wants every text on one printable line (the REFI-QDA
    exchange has no line breaks), so the codebook gets the one-line battery;
    multi-line payloads go into the excerpts.
    """
    count = iter(range(10_000))

    def payload() -> str:
        return _cycle(next(count), single_line=True)

    codebook["title"] = payload()
    codebook["source"] = payload()
    codebook["coding_unit"] = payload()
    codebook["valence_grouping"]["note"] = payload()
    for level in codebook["difficulty_levels"]:
        codebook["difficulty_levels"][level] = payload()
    for theme in codebook["themes"]:
        theme["label"] = f"{theme['id']} " + payload()
        theme["definition"] = payload()
        theme["include"] = [payload(), payload()]
        theme["exclude"] = [payload() + f" (not {theme['id']})"]
        theme["example"] = payload()
    for group in codebook["facet_groups"]:
        group["label"] = payload()
        group["definition"] = payload()
    for facet in codebook["facets"]:
        facet["label"] = f"{facet['id']} " + payload()
        facet["definition"] = payload()
        for valence in facet["examples"]:
            facet["examples"][valence] = payload()
    return codebook


def inject_study(folder: Path) -> Path:
    """Put the battery into every free-text field of a (synthetic) study folder.

    Excerpt texts, the therapists' gender and profession, the clients' gender
    and every text of ``codebook.yaml``; ``datapackage.json`` is rewritten so
    the folder still validates (the synthetic marker is kept).
    """
    folder = Path(folder)
    _rewrite_csv(folder / "excerpts.csv", {"text": False})
    _rewrite_csv(folder / "therapists.csv", {"gender": True, "profession": True})
    _rewrite_csv(folder / "clients.csv", {"gender": True})
    path = folder / CODEBOOK_FILE
    codebook = inject_codebook(yaml.safe_load(path.read_text(encoding="utf-8")))
    text = yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True, width=10_000)
    path.write_text(text, encoding="utf-8")
    package = json.loads((folder / DATAPACKAGE_FILE).read_text(encoding="utf-8"))
    write_datapackage(folder, synthetic=package.get(SYNTHETIC_KEY))
    return folder


class _ActiveContent(HTMLParser):
    """Collects scripts, handlers, frames and javascript: links that came from a payload."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"iframe", "frame", "object", "embed"}:
            self.findings.append(f"<{tag}> element")
        if tag == "script":
            self._in_script = True
            source = dict(attrs).get("src") or ""
            if MARKER in source or source.strip().lower().startswith("javascript:"):
                self.findings.append(f"<script src={source!r}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and MARKER in value:
                self.findings.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action", "formaction", "xlink:href", "data"}:
                if "".join(value.split()).lower().startswith("javascript:"):
                    self.findings.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and MARKER in data:
            self.findings.append(f"<script> running {data.strip()[:60]!r}")


def active_content(html: str) -> list[str]:
    """Return every script, event handler, frame or javascript: link a payload made active.

    A payload shown as text (escaped) is not a finding; the book's own scripts
    are not either, since they do not carry :data:`MARKER`.
    """
    parser = _ActiveContent()
    parser.feed(html)
    parser.close()
    return parser.findings


def foreign_files(site: Path) -> list[str]:
    """Return files of ``site`` whose name or content is one of :data:`FOREIGN_FILES`."""
    contents = {path: path.read_bytes() for path in FOREIGN_FILES if path.is_file()}
    names = {path.name for path in FOREIGN_FILES}
    found = []
    for file in sorted(Path(site).rglob("*")):
        if not file.is_file():
            continue
        data = file.read_bytes()
        stem = file.name.split(".")[0]
        if stem in names or any(data == content for content in contents.values() if content):
            found.append(str(file.relative_to(site)))
        elif b"root:x:0:0:" in data:
            found.append(f"{file.relative_to(site)} (holds /etc/passwd lines)")
    return found
