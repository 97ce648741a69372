"""Progress bars show count, rate and ETA; summaries render DataFrames and dicts."""

from __future__ import annotations

import pandas as pd

from gaffertape import ui


def test_progress_shows_count_and_items_per_second() -> None:
    progress = ui.make_progress()
    task_id = progress.add_task("Downloading", total=10, status="")
    task = progress.tasks[0]
    rate = next(c for c in progress.columns if isinstance(c, ui.RateColumn))
    assert rate.render(task).plain == "-/s"  # no speed before any progress
    progress.update(task_id, advance=5)
    progress.update(task_id, advance=5)
    assert rate.render(task).plain.endswith("/s")
    assert task.completed == 10


def test_summary_accepts_dicts_and_frames(capsys) -> None:
    ui.print_summary("Run", {"students": 3})
    ui.print_summary("Failed", pd.DataFrame({"pi": ["A1234567"], "error": ["timeout"]}))
    err = capsys.readouterr().err
    assert "students" in err and "A1234567" in err and "timeout" in err
