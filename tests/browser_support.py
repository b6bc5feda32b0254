"""Helpers for the browser tests: the pages of the book, a local server, one visit per page.

``tests/test_browser.py`` holds the assertions; this module only gathers facts:
which pages the table of contents lists, what each page requested, logged and
contains (as seen by Chromium through Playwright), and which anchors exist in
the built HTML files.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).with_name("axe.min.js")
SCREENSHOTS = ROOT / "_build" / "screenshots"
# The page saved as a screenshot (with the home page) in each colour mode.
RELIABILITY = "chapters/03_reliability"
BLOCKING_IMPACTS = {"serious", "critical"}

# Flags that keep Chromium from phoning home (the machine's network is closed)
# and let it run as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Run in the page after it has loaded: wait for MathJax, force lazy images to
# load, then report what a reader (or a screen reader) gets.
PAGE_FACTS_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const images = await Promise.all([...document.images].map(async (img) => {
    img.loading = "eager";
    try { await img.decode(); } catch (error) { /* reported via naturalWidth */ }
    return {src: img.currentSrc || img.src, alt: img.getAttribute("alt"),
            naturalWidth: img.naturalWidth};
  }));
  const links = [...document.querySelectorAll("a[href]")].map((a) => ({
    href: a.href, raw: a.getAttribute("href"), text: a.textContent.trim(),
    classes: a.className,
  }));
  return {
    theme: document.documentElement.dataset.theme || "",
    location: location.href,
    title: document.title.trim(),
    lang: document.documentElement.getAttribute("lang") || "",
    // Headings a reader or screen reader meets: the theme's print-only copy of
    // the title (display: none on screen) is not one of them.
    h1: [...document.querySelectorAll("h1")].filter((h) => h.checkVisibility()).map(
      (h) => h.textContent.trim()),
    math: document.querySelectorAll("span.math, div.math").length,
    typeset: document.querySelectorAll("mjx-container").length,
    images: images,
    links: links,
    figure_styles: [...document.querySelectorAll(
        ".bd-content figure img, .bd-content .cell_output img")].map(
      (img) => ({filter: getComputedStyle(img).filter,
                 background: getComputedStyle(img).backgroundColor,
                 pageBackground: getComputedStyle(document.body).backgroundColor})),
    glued: [...document.querySelectorAll(".pasted-text, .pasted-inline")].map(
      (el) => el.textContent.trim()),
    text: document.body.innerText,
  };
}
"""

AXE_JS = """
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 300)})),
  }));
}
"""


class _AnchorCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.anchors.add(value or "")


@functools.cache
def anchors_in(html_file: Path) -> frozenset[str]:
    """Return every ``id`` (and ``<a name>``) defined in a built HTML file.

    Parameters
    ----------
    html_file : pathlib.Path
        A page of ``_build/html``.

    Returns
    -------
    frozenset of str
        The fragment identifiers a link may point at.
    """
    collector = _AnchorCollector()
    collector.feed(html_file.read_text(encoding="utf-8"))
    return frozenset(collector.anchors)


def broken_internal_link(href: str, origin: str, html_dir: Path) -> str | None:
    """Explain why an internal link does not resolve, or return None if it does.

    Parameters
    ----------
    href : str
        Absolute URL as the browser resolved it.
    origin : str
        ``scheme://host:port`` of the local server; other origins are external.
    html_dir : pathlib.Path
        The served folder (``_build/html``).

    Returns
    -------
    str or None
        A reason ("no file ...", "no anchor ...") or None.
    """
    parts = urlsplit(href)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    path = unquote(parts.path).lstrip("/")
    target = html_dir / path
    if path == "" or path.endswith("/"):
        target = target / "index.html"
    if not target.is_file():
        return f"no file {target.relative_to(html_dir)}"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in anchors_in(target):
        return f"no anchor #{fragment} in {target.relative_to(html_dir)}"
    return None


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port) in a thread.

    Parameters
    ----------
    directory : pathlib.Path
        Folder to serve.

    Yields
    ------
    str
        The origin, e.g. ``"http://127.0.0.1:45123"``.
    """

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, format, *args):  # noqa: A002 - signature of the base class
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class PageVisit:
    """What one page did and showed in the browser."""

    url: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    axe: list[dict] = field(default_factory=list)


def is_local(url: str, origin: str) -> bool:
    """Tell whether a request stays on the local server (or inside the page).

    Parameters
    ----------
    url : str
        Requested URL.
    origin : str
        ``scheme://host:port`` of the local server.

    Returns
    -------
    bool
        True for the server itself and for ``data:``, ``blob:`` and ``about:`` URLs.
    """
    if url.split(":", 1)[0] in {"data", "blob", "about"}:
        return True
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" == origin


def visit(
    browser,
    origin: str,
    path: str,
    axe_script: Path,
    screenshot: Path | None = None,
    mode: str = "light",
):
    """Open one page in a fresh browser context and record everything about it.

    Requests to any other host are logged and aborted, so nothing leaves the
    machine and the offline check cannot hang on a closed network.

    Parameters
    ----------
    browser : playwright.sync_api.Browser
        The session's Chromium.
    origin : str
        The local server's origin.
    path : str
        Page path below the origin, e.g. ``"chapters/intro.html"``.
    axe_script : pathlib.Path
        The vendored ``axe.min.js``, injected after load.
    screenshot : pathlib.Path, optional
        Where to save a full-page PNG.
    mode : {"light", "dark"}
        The theme's colour mode, chosen as a reader's colour-mode button does (it
        stores the choice in ``localStorage``, which the page reads before drawing).

    Returns
    -------
    PageVisit
        Requests, failures, console errors, dialogs (alert, confirm, prompt; each
        dismissed), page facts and axe violations.
    """
    record = PageVisit(url=f"{origin}/{path}")
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def route(route):
        url = route.request.url
        if is_local(url, origin):
            route.continue_()
        else:
            record.blocked.append(url)
            route.abort()

    context.route("**/*", route)
    context.add_init_script(
        f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
    )
    page = context.new_page()
    page.on("request", lambda request: record.requests.append(request.url))
    page.on(
        "requestfailed",
        lambda request: record.failed.append(f"{request.url} ({request.failure})"),
    )
    page.on(
        "response",
        lambda response: (
            record.failed.append(f"{response.url} (HTTP {response.status})")
            if response.status >= 400
            else None
        ),
    )
    page.on(
        "console",
        lambda message: (
            record.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: record.console_errors.append(str(error)))

    def dialog(dialog) -> None:
        record.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dialog)
    try:
        page.goto(record.url, wait_until="networkidle")
        record.facts = page.evaluate(PAGE_FACTS_JS)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        page.add_script_tag(path=str(axe_script))
        record.axe = page.evaluate(AXE_JS)
    finally:
        context.close()
    return record


def blocking_findings(record: PageVisit) -> list[str]:
    """Describe a visit's serious and critical axe-core findings, one line each.

    Parameters
    ----------
    record : PageVisit
        A visit made by :func:`visit`.

    Returns
    -------
    list of str
        Impact, rule, help text and the offending elements; empty when none.
    """
    return [
        f"{v['impact']} {v['id']}: {v['help']} -> "
        + "; ".join(f"{n['target']} {n['html'][:120]}" for n in v["nodes"])
        for v in record.axe
        if v["impact"] in BLOCKING_IMPACTS
    ]


def accessibility_report(records: dict[str, PageVisit], mode: str) -> str:
    """Markdown list of the findings below serious, for the pages visited in one mode.

    Parameters
    ----------
    records : dict
        Visits by page.
    mode : str
        The colour mode they were made in, named in the title.

    Returns
    -------
    str
        The report, "None." when there is nothing to report.
    """
    lines = [f"# Accessibility findings below serious (axe-core, {mode} mode)", ""]
    for page, record in sorted(records.items()):
        for violation in record.axe:
            if violation["impact"] in BLOCKING_IMPACTS:
                continue
            targets = ", ".join(node["target"] for node in violation["nodes"])
            lines.append(
                f"- `{page}`: {violation['impact']} `{violation['id']}` "
                f"({violation['help']}) on {targets}"
            )
    if len(lines) == 2:
        lines.append("None.")
    return "\n".join(lines) + "\n"
