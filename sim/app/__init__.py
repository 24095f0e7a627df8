"""The planner's app: compare a reform for your own community in the browser (zh / en).

A Panel app (docs/app.md says why Panel) and a thin client of the package: the case and its
scenarios come from :mod:`sim.scenario.planner`, the runs from
:mod:`sim.experiment.live` (the one evaluator: worker processes or Dask, with an in-memory
replication cache), the figures from :mod:`sim.plots`, the report from :mod:`sim.report`.
Modules: :mod:`~sim.app.controller` (state, background runs, the link), :mod:`~sim.app.render`
(the answer as HTML), :mod:`~sim.app.view` (the widgets), and here :func:`serve` (``sim app``)
and :func:`notebook_app` (JupyterLab, notebook 05).

Safe by default: it binds to 127.0.0.1, offers only the scenario files of one folder, runs at
most :data:`~sim.app.controller.MAX_REPLICATIONS` replications and refuses horizons over
:data:`~sim.scenario.planner.MAX_DAYS` days.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["notebook_app", "serve"]


def _comparer(executor: str, workers: int | None, scheduler: str | None):
    from sim.experiment.live import LiveComparer

    comparer = LiveComparer(executor, workers, scheduler)
    comparer.start()   # fork the workers before the server starts its threads
    return comparer


def serve(folder: str = "scenarios", host: str = "127.0.0.1", port: int = 5006, lang: str = "en",
          executor: str = "processes", workers: int | None = None, scheduler: str | None = None,
          show: bool = False, basic_auth: str | None = None, cookie_secret: str | None = None,
          allow_origin: list[str] | None = None, worlds: int | None = None,
          world_replications: int | None = None) -> None:
    """Serve the app on ``host:port`` until interrupted. Each browser session gets its own
    page; all share one pool of workers and one cache. ``?lang=zh`` (or ``lang``) picks the
    language. ``basic_auth``: a password or a JSON file of users (Panel's basic auth).
    ``worlds`` x ``world_replications``: the size of "How sure are we" (default
    :data:`~sim.app.controller.WORLDS` x :data:`~sim.app.controller.WORLD_REPLICATIONS`)."""
    import panel as pn

    from sim.app.controller import WORLD_REPLICATIONS, WORLDS, Controller
    from sim.app.render import parts
    from sim.app.view import PlannerPage

    folder = os.path.abspath(folder)
    size = {"worlds": worlds or WORLDS, "world_replications": world_replications or WORLD_REPLICATIONS}
    comparer = _comparer(executor, workers, scheduler)

    def page():
        args = pn.state.session_args or {}
        query = {k: v[0].decode("utf-8", "replace") for k, v in args.items() if v}
        page_lang = query.get("lang", lang)
        page_lang = page_lang if page_lang in ("en", "zh") else "en"
        controller = Controller(folder, comparer, render=parts(page_lang), **size)
        view = PlannerPage(controller, page_lang, query)
        pn.state.on_session_destroyed(lambda _ctx: controller.cancel())
        return view.servable()

    origins = [f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}", *(allow_origin or [])]
    extra: dict[str, Any] = {}
    if basic_auth:
        extra["basic_auth"] = basic_auth
        extra["cookie_secret"] = cookie_secret or os.urandom(32).hex()
    try:
        pn.serve({"/": page}, address=host, port=port, show=show, title="sim app",
                 websocket_origin=origins, verbose=False, **extra)
    finally:
        comparer.close()


def notebook_app(folder: str = "scenarios", lang: str = "en", replications: int = 20,
                 executor: str = "processes", workers: int | None = None,
                 query: dict[str, str] | None = None, wait: bool = False,
                 worlds: int | None = None, world_replications: int | None = None):
    """The same app as a notebook cell output: ``pn.extension()`` first, then display the
    returned layout. ``wait``: compute the first answer before returning (a notebook that is
    only read still shows it). Returns (layout, page)."""
    from sim.app.controller import WORLD_REPLICATIONS, WORLDS, Controller
    from sim.app.render import parts
    from sim.app.view import PlannerPage

    comparer = _comparer(executor, workers, None)
    controller = Controller(folder, comparer, replications, render=parts(lang),
                            worlds=worlds or WORLDS,
                            world_replications=world_replications or WORLD_REPLICATIONS)
    page = PlannerPage(controller, lang, query)
    if wait:
        controller.request(page.name, page.case(), wait=True)
        page.poll()
    return page.servable(), page
