"""The job panel: a live progress bar, counts, cancel and retry-failed for the current job.

Any page can show it with :func:`job_panel` (ids are prefixed so two pages never clash). The
panel polls the store (``app_jobs``), not the server's memory, so a reload shows the same job.
It polls only while its job is queued or running: the page's tick callback returns the
interval's ``disabled`` (the same flag as the cancel button's), so an idle page sends nothing.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from gaffertape.app.jobs import progress

TICK_MS = 500


def job_panel(prefix: str, job_id: int | None) -> html.Section:
    """The panel's components; ``prefix`` keeps its ids unique to the page."""
    return html.Section([
        html.H2("Job", id=f"{prefix}-job-heading"),
        html.Div([
            html.Label("Progress", htmlFor=f"{prefix}-progress", className="visually-hidden"),
            html.Progress(id=f"{prefix}-progress", max=100, value=0),
        ]),
        html.P(id=f"{prefix}-job-status", role="status", **{"aria-live": "polite"}),
        html.Div([
            html.Button("Cancel job", id=f"{prefix}-cancel", className="secondary",
                        disabled=True, n_clicks=0),
            html.Button("Retry failed rows", id=f"{prefix}-retry", className="secondary",
                        disabled=True, n_clicks=0),
        ], className="toolbar"),
        dcc.Store(id=f"{prefix}-job", data=job_id),
        dcc.Interval(id=f"{prefix}-tick", interval=TICK_MS, disabled=True),
    ], className="panel", **{"aria-labelledby": f"{prefix}-job-heading"})


def panel_state(ws: Any, job_id: int | None) -> tuple[float, str, bool, bool]:
    """(percent, status line, cancel disabled, retry disabled) of ``job_id``; cancel is
    disabled exactly when the job is no longer active, so it also says whether to stop polling."""
    if job_id is None:
        return 0, "No job yet: select students and choose an action.", True, True
    job = progress(ws, job_id)
    active = job["state"] in {"queued", "running"}
    line = (f"Job {job_id}, {job['label'].lower()}: {job['state']}"
            f"{' (cancel requested)' if active and job['cancel_requested'] else ''}. "
            f"{job['finished']} of {job['total']} done ({job['percent']:g}%): ok {job['ok']}, "
            f"failed {job['failed']}, not tried {job['cancelled']}.")
    if job["state"] == "failed" and job["message"]:
        line += f" {job['message']}"
    retry_disabled = active or not (job["failed"] or job["cancelled"])
    return job["percent"], line, not active, retry_disabled
