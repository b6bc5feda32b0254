"""Sphinx extension: the repository's public URL turns every repository button on.

``_config.yml`` holds the URL in one place (``repository.url``). Jupyter Book
refuses the repository buttons without a URL, and sphinx-book-theme fails on
launch buttons without one, so the buttons cannot simply be left on. This
extension turns them on when, and only when, the URL is set: the repository,
issues and "edit this page" buttons, and the launch buttons of the services named
in ``repository_launch_services`` (``_config.yml``, ``sphinx.config``).
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.config import Config

REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")


def turn_on_buttons(app: Sphinx, config: Config) -> None:
    """Turn the repository and launch buttons on if ``repository.url`` is set."""
    options = config.html_theme_options
    if not str(options.get("repository_url", "")).strip():
        return
    for button in REPOSITORY_BUTTONS:
        options[button] = True
    launch = dict(options.get("launch_buttons") or {})
    for service, url in config.repository_launch_services.items():
        launch.setdefault(service, "")
        launch[service] = launch[service] or url
    options["launch_buttons"] = launch


def setup(app: Sphinx) -> dict:
    """Register the launch services setting and the config hook."""
    app.add_config_value("repository_launch_services", {}, "html", types=[dict])
    app.connect("config-inited", turn_on_buttons)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
