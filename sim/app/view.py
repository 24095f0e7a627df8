"""The page (Panel widgets): the community's inputs, the levers, the answer, the downloads.

:class:`PlannerPage` builds the widgets for one browser session (or one notebook cell) on a
:class:`~sim.app.controller.Controller`. Every change asks the controller for a new answer;
a periodic callback (every :data:`POLL_MS` ms, in the page's own thread) shows the progress and
the answer the background thread has made. Widgets bound every value (numbers within the
input's range); what the package still rejects is shown under the input it names.
"""

from __future__ import annotations

import contextlib
import html
import io
from typing import Any
from urllib.parse import urlencode

import panel as pn

from sim.app.controller import Controller, case_from_query, query_of
from sim.app.render import CSS
from sim.scenario.planner import INPUTS, Case, compare_command, input_values, lever_info, toml_text
from sim.text import t

__all__ = ["POLL_MS", "PlannerPage"]

POLL_MS = 200
PRESETS = ("reform", "nothing", "one", "custom")


def _html(obj: str, **kw: Any):
    """An HTML pane with the app's stylesheet (Panel panes live in their own shadow DOM)."""
    return pn.pane.HTML(obj, stylesheets=[CSS], **kw)


class PlannerPage:
    """The widgets and layout of one page in ``lang`` ("en" or "zh"); ``query``: the URL
    query (settings of a shared link)."""

    def __init__(self, controller: Controller, lang: str = "en",
                 query: dict[str, str] | None = None, default_file: str = "bozhou_before.toml",
                 poll: bool = True) -> None:
        self.c = controller
        self.lang = "zh" if lang == "zh" else "en"
        files = controller.files()
        default = default_file if default_file in files else files[0]
        self._query_keys = dict(query or {})
        self.name, case, self.query_errors = case_from_query(self._query_keys, files, default)
        self._shown = -1
        self._busy = False
        self.file = pn.widgets.Select(label=self.tr("file"), options=files, value=self.name,
                                      width=300)
        self.file.param.watch(self._file_changed, "value")
        self.inputs_box = pn.Column(sizing_mode="stretch_width")
        self.levers_box = pn.Column(sizing_mode="stretch_width")
        self.preset = pn.widgets.RadioButtonGroup(
            label=self.tr("preset"), options={self.tr(f"preset_{p}"): p for p in PRESETS},
            value="reform", color="default")
        self.preset.param.watch(self._preset_changed, "value")
        self.run_button = pn.widgets.Button(label=self.tr("run"), color="primary", width=100)
        self.run_button.on_click(lambda _e: self.request())
        self.cancel_button = pn.widgets.Button(label=self.tr("cancel"), width=100)
        self.cancel_button.on_click(lambda _e: self.c.cancel())
        self.progress = pn.indicators.Progress(value=0, max=100, width=300, active=False)
        c = self.c
        self.ens_button = pn.widgets.Button(
            label=self.tr("how_sure"), width=180, css_classes=["how-sure"],
            description=self.tr("how_sure_hint", worlds=c.worlds, reps=c.world_replications,
                                sims=2 * c.worlds * c.world_replications))
        self.ens_button.on_click(lambda _e: self.c.request_ensemble(self.name, self.case()))
        self.ens_cancel = pn.widgets.Button(label=self.tr("cancel"), width=100, visible=False)
        self.ens_cancel.on_click(lambda _e: self.c.cancel_ensemble())
        self.ens_progress = pn.indicators.Progress(value=0, max=100, width=200, active=False,
                                                   visible=False)
        self.ens_status = _html("", sizing_mode="stretch_width")
        self.status = _html("", sizing_mode="stretch_width")
        self.error = _html("", sizing_mode="stretch_width")
        self.cards = _html(f"<p>{self.tr('no_answer')}</p>", sizing_mode="stretch_width")
        self.figures = _html("", sizing_mode="stretch_width")
        self.differs = _html("", sizing_mode="stretch_width")
        self.link = _html("", sizing_mode="stretch_width")
        self.command = _html("", sizing_mode="stretch_width")
        self.dl_toml = pn.widgets.FileDownload(callback=self._toml_file, filename="my_community.toml",
                                               label=self.tr("download_toml"), width=260)
        self.dl_report = pn.widgets.FileDownload(callback=self._report_file, filename="report.html",
                                                 label=self.tr("download_report"), width=260)
        self.lang_link = _html("")
        self._build_case_widgets(case)
        self.layout = self._layout()
        if poll:
            pn.state.add_periodic_callback(self.poll, period=POLL_MS)
        self.request()

    def tr(self, key: str, **kw: Any) -> str:
        return t(f"app.{key}", self.lang, **kw)

    # -- widgets of the case -------------------------------------------------------------
    def _build_case_widgets(self, case: Case | None) -> None:
        base = self.c.base(self.name)
        have = input_values(base)
        values = case.values if case is not None else {}
        self.widgets: dict[str, Any] = {}
        self.errors: dict[str, pn.pane.HTML] = {}
        rows = []
        for inp in INPUTS:
            if inp.name not in have:
                continue
            value, lever = have[inp.name]
            value = values.get(inp.name, value)
            label = self.tr(f"input.{inp.name}")
            if lever:
                label += f" ({self.tr('set_by_lever', lever=lever)})"
            if inp.kind == "bool":
                w = pn.widgets.Checkbox(label=label, value=bool(value))
            elif inp.kind == "int":
                w = pn.widgets.IntInput(label=label, value=int(min(max(value, inp.low), inp.high)),
                                        start=int(inp.low), end=int(inp.high), step=int(inp.step),
                                        width=300)
            else:
                w = pn.widgets.FloatInput(label=label, value=float(min(max(value, inp.low), inp.high)),
                                          start=inp.low, end=inp.high, step=inp.step, width=300)
            w.param.watch(lambda _e: self.request(), "value")
            self.widgets[inp.name] = w
            self.errors[inp.name] = _html(self._err(self.query_errors.get(inp.name, "")),
                                                 margin=(0, 10))
            rows += [w, self.errors[inp.name]]
            if inp.name == "managed_share":
                rows.append(_html(f'<p class="lever-text">{html.escape(self.tr("estates"))}</p>'))
        self.inputs_box.objects = rows
        self.lever_widgets: dict[str, Any] = {}
        self.setting_widgets: dict[tuple[str, str], Any] = {}
        on = set(case.levers) if case is not None and "levers" in (self._query_keys or {}) \
            else {x["name"] for x in lever_info(base)}
        items = []
        for lev in lever_info(base):
            box = pn.widgets.Checkbox(label=lev["name"], value=lev["name"] in on,
                                      css_classes=["lever", f"lever-{lev['name']}"])
            box.param.watch(self._lever_changed, "value")
            self.lever_widgets[lev["name"]] = box
            text = lev["description_zh"] if self.lang == "zh" and lev["description_zh"] else lev["description"]
            items += [box, _html(f'<p class="lever-text">{html.escape(text)}</p>'
                                        f'<p class="lever-source">{html.escape(self.tr("source"))}: '
                                        f'{html.escape(lev["source"])}</p>', sizing_mode="stretch_width")]
            for key, value in lev["settings"].items():
                chosen = (case.lever_settings if case else {}).get((lev["name"], key), value)
                if key == "compliance":
                    w = pn.widgets.FloatInput(label=self.tr("compliance"), value=float(chosen),
                                              start=0.0, end=1.0, step=0.05, width=200)
                else:
                    w = pn.widgets.TextInput(label=self.tr("from"), value=str(chosen), width=200)
                w.param.watch(lambda _e: self.request(), "value")
                self.setting_widgets[(lev["name"], key)] = w
                items.append(w)
        self.levers_box.objects = items
        if case is not None and "levers" in (self._query_keys or {}):
            self.preset.value = "custom"

    def _err(self, msg: str) -> str:
        return f'<div class="field-error">{html.escape(msg)}</div>' if msg else ""

    def _file_changed(self, event) -> None:
        self.name = event.new
        self._query_keys = {}
        self._build_case_widgets(None)
        self.request()

    def _preset_changed(self, event) -> None:
        if self._busy:   # set by a lever switched by hand ("My choice"): nothing to do
            return
        names = list(self.lever_widgets)
        self._busy = True
        try:
            if event.new == "reform":
                for w in self.lever_widgets.values():
                    w.value = True
            elif event.new == "nothing":
                for w in self.lever_widgets.values():
                    w.value = False
            elif event.new == "one" and names:
                on = [n for n in names if self.lever_widgets[n].value]
                for n, w in self.lever_widgets.items():
                    w.value = n == (on[0] if on else names[0])
        finally:
            self._busy = False
        self.request()

    def _lever_changed(self, event) -> None:
        if self._busy:
            return
        if self.preset.value == "one" and event.new:   # one lever at a time: the others go off
            self._busy = True
            try:
                for w in self.lever_widgets.values():
                    if w is not event.obj:
                        w.value = False
            finally:
                self._busy = False
        elif self.preset.value != "one":
            self._busy = True
            try:
                self.preset.value = "custom"
            finally:
                self._busy = False
        self.request()

    # -- the case and the run ------------------------------------------------------------
    def case(self) -> Case:
        values = {k: w.value for k, w in self.widgets.items()}
        levers = tuple(n for n, w in self.lever_widgets.items() if w.value)
        settings = {k: w.value for k, w in self.setting_widgets.items()}
        return Case(self.name, values, levers, settings)

    def request(self) -> None:
        if self._busy:
            return
        case = self.case()
        for w in self.errors.values():
            w.object = ""
        self.c.request(self.name, case)
        q = query_of(self.name, case, self.lang)
        self.link.object = (f'<a id="settings-link" href="?{html.escape(urlencode(q))}">'
                            f'{html.escape(self.tr("link"))}</a>')
        cmd = compare_command(case, "my_community.toml", self.c.replications,
                              self.c.seed_of(self.name))
        self.command.object = (f'<p class="lever-text">{html.escape(self.tr("rerun"))} '
                               f'<code>{html.escape(cmd)}</code></p>')
        other = dict(q, lang="en" if self.lang == "zh" else "zh")
        self.lang_link.object = (f'<a id="other-lang" href="?{html.escape(urlencode(other))}">'
                                 f'{html.escape(self.tr("other_lang"))}</a>')
        loc = pn.state.location
        if loc is not None:
            with contextlib.suppress(Exception):   # no browser location (a notebook)
                loc.update_query(**q)

    def poll(self) -> None:
        """Show progress and, when there is a new one, the answer (page thread)."""
        s = self.c.snapshot()
        self.progress.value = int(100 * s.done / s.total) if s.total else 0
        self.progress.active = s.status == "running"
        if s.status == "running":
            self.status.object = html.escape(self.tr("running", done=s.done, total=s.total))
        elif s.status in ("cancelled", "failed"):
            self.status.object = html.escape(self.tr(s.status))
        else:
            self.status.object = ""
        self._poll_ensemble(s)
        if s.version == self._shown:
            return
        self._shown = s.version
        self.error.object = self._err(s.errors.get("", ""))
        for name, pane in self.errors.items():
            pane.object = self._err(s.errors.get(name, ""))
        for key, pane in (("cards", self.cards), ("figures", self.figures),
                          ("differs", self.differs)):
            got = (s.rendered or {}).get(key)
            if got is not None and pane.object != got:
                pane.object = got

    def _poll_ensemble(self, s) -> None:
        """The "How sure are we" button, its progress and its one-line status."""
        running = s.ens_status == "running"
        self.ens_button.disabled = running or bool(s.ens_reason)
        self.ens_cancel.visible = running
        self.ens_progress.visible = running
        self.ens_progress.active = running
        self.ens_progress.value = int(100 * s.ens_done / s.ens_total) if s.ens_total else 0
        if s.ens_reason:
            msg = self.tr("how_sure_none")
        elif running:
            msg = self.tr("ens_running", done=s.ens_done, total=s.ens_total)
        elif s.ens_status == "failed":
            msg = self.tr("ens_failed", error=s.ens_error)
        elif s.ens_status == "cancelled":
            msg = self.tr("ens_cancelled")
        elif s.ensemble is not None:
            msg = self.tr("ens_done")
        else:
            msg = self.tr("how_sure_hint", worlds=self.c.worlds, reps=self.c.world_replications,
                          sims=2 * self.c.worlds * self.c.world_replications)
        cls = "field-error" if s.ens_status == "failed" else "ens-note"
        got = f'<div class="{cls}" id="ens-status">{html.escape(msg)}</div>'
        if self.ens_status.object != got:
            self.ens_status.object = got

    # -- take it away --------------------------------------------------------------------
    def _answer(self):
        s = self.c.snapshot()
        return s.result, s.case

    def _toml_file(self):
        """The TOML of the answer on screen (its case and replications), else of the settings."""
        result, case = self._answer()
        case = case or self.case()
        full = Case(self.c.path(case.file), case.values, case.levers, case.lever_settings)
        text = toml_text(full, result.replications if result else self.c.replications,
                         self.c.seed_of(case.file), base=self.c.base(case.file))
        return io.StringIO(text)

    def _report_file(self):
        """The report of the answer on screen, with "How sure are we" when it has an ensemble."""
        from sim.report import build_report

        s = self.c.snapshot()
        if s.result is None:
            return io.StringIO("")
        ens = s.ensemble.ensemble if s.ensemble is not None else None
        return io.StringIO(build_report(s.result, self.lang, explore=ens))

    # -- layout --------------------------------------------------------------------------
    def _layout(self):
        head = _html(f'<div class="sim-app"><h1 id="app-title">{html.escape(self.tr("title"))}</h1>'
                            f'<p>{html.escape(self.tr("intro"))}</p></div>', sizing_mode="stretch_width")
        left = pn.Column(
            _html(f"<h2>{html.escape(self.tr('s_community'))}</h2>"), self.file,
            self.inputs_box,
            _html(f"<h2>{html.escape(self.tr('s_reform'))}</h2>"), self.preset,
            self.levers_box, width=420)
        right = pn.Column(
            _html(f"<h2>{html.escape(self.tr('s_answer'))}</h2>"),
            pn.Row(self.run_button, self.cancel_button, self.progress), self.status, self.error,
            self.cards,
            pn.Row(self.ens_button, self.ens_cancel, self.ens_progress), self.ens_status,
            _html(f"<h2>{html.escape(self.tr('s_take'))}</h2>"),
            pn.Row(self.dl_toml, self.dl_report), self.link,
            self.command,
            _html(f"<h2>{html.escape(self.tr('s_figures'))}</h2>"), self.figures,
            _html(f"<h2>{html.escape(self.tr('s_differs'))}</h2>"), self.differs,
            sizing_mode="stretch_width")
        return pn.Column(pn.Row(head, self.lang_link), pn.Row(left, right, sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")

    def servable(self):
        return self.layout
