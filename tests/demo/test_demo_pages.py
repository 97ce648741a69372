"""Every page of the demo university, driven over real HTTP and checked against the truth."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import httpx

from gaffertape.demo import DemoUniversity

from .demo_helpers import COURSE, Client, first_submitted, read_truth, table_rows, token

CATEGORIES = ["Project definition", "Research and analysis", "Design and implementation",
              "Evaluation", "Presentation"]


def test_landing_links_both_systems(demo: DemoUniversity) -> None:
    page = httpx.get(demo.base_url + "/").text
    assert 'href="/oscar/"' in page and 'href="/etma/admin"' in page


def test_protected_pages_redirect_to_sign_in_with_next(demo: DemoUniversity) -> None:
    answer = httpx.get(demo.base_url + f"/oscar/allocation?pres={COURSE}")
    assert answer.status_code == 302
    assert answer.headers["location"] == "/sso/login?next=%2Foscar%2Fallocation%3Fpres%3DTM470-25J"


def test_sign_in_returns_to_the_page_asked_for(demo: DemoUniversity) -> None:
    client = Client(demo)
    form = client.get("/sso/login", next="/etma/admin")
    answer = client.http.post("/sso/login", data={
        "username": demo.username, "password": demo.password,
        "csrf_token": token(form.text), "next": "/etma/admin",
    })
    assert answer.status_code == 302 and answer.headers["location"] == "/etma/admin"
    assert answer.headers["set-cookie"].startswith("DEMO_SSO=")
    assert "HttpOnly" in answer.headers["set-cookie"]
    assert 'action="/etma/student"' in client.get("/etma/admin").text
    assert read_truth(demo.config.truth_path)["username"] == demo.username


def test_bad_password_and_bad_token(demo: DemoUniversity) -> None:
    client = Client(demo)
    used = token(client.get("/sso/login").text)
    wrong = client.http.post("/sso/login", data={
        "username": demo.username, "password": "nope", "csrf_token": used, "next": "/"})
    assert wrong.status_code == 200 and "Invalid username or password" in wrong.text
    reused = client.http.post("/sso/login", data={
        "username": demo.username, "password": demo.password, "csrf_token": used, "next": "/"})
    assert reused.status_code == 400
    missing = client.http.post("/sso/login", data={"username": demo.username})
    assert missing.status_code == 400


def test_sign_in_never_redirects_off_site(demo: DemoUniversity) -> None:
    client = Client(demo)
    form = client.get("/sso/login")
    answer = client.http.post("/sso/login", data={
        "username": demo.username, "password": demo.password,
        "csrf_token": token(form.text), "next": "//evil.example/"})
    assert answer.headers["location"] == "/"


def test_unknown_cookie_reads_as_expired_session(demo: DemoUniversity) -> None:
    answer = httpx.get(demo.base_url + "/oscar/", cookies={"DEMO_SSO": "stale"})
    assert answer.status_code == 200 and "Your session has expired" in answer.text
    assert 'action="/sso/login"' in answer.text


def test_home_lists_presentations(client: Client) -> None:
    page = client.get("/oscar/").text
    assert f'<a href="/oscar/allocation?pres={COURSE}">' in page


def test_allocation_matches_truth(client: Client, demo: DemoUniversity) -> None:
    rows = table_rows(client.get("/oscar/allocation", pres=COURSE).text, "allocation")
    truth = demo.truth()
    assert [r[0] for r in rows] == [s["pi"] for s in truth["students"]]
    for row, student in zip(rows, truth["students"], strict=True):
        assert row[1:3] == [student["name"], student["tutor_group"]]
        expected = ("No submission" if not student["submitted"] else
                    "Third marking required" if student["flag"]["third_marking_required"] else
                    "Marked")
        assert row[3] == expected
        assert row[5] == ("Enter" if student["flag"]["third_marking_required"] else "—")


def test_allocation_links(client: Client, demo: DemoUniversity) -> None:
    student = first_submitted(demo.truth(), third=True)
    page = client.get("/oscar/allocation", pres=COURSE).text
    query = f"pres={COURSE}&amp;pi={student['pi']}"
    assert f'<a href="/oscar/marks?{query}">View</a>' in page
    assert f'<a href="/oscar/thirdmark?{query}">Enter</a>' in page


def test_unknown_presentation_is_404(client: Client) -> None:
    assert client.get("/oscar/allocation", pres="XX000-99Z").status_code == 404


def test_marks_page_shows_both_markers(client: Client, demo: DemoUniversity) -> None:
    student = first_submitted(demo.truth())
    page = client.get("/oscar/marks", pres=COURSE, pi=student["pi"]).text
    for role in ("first", "second"):
        assert f"<h3>{role.title()} marker: {student['marks'][role]['marker']}</h3>" in page
    tables = [table_rows(page, "marks")[i:i + 5] for i in (0, 5)]
    for role, rows in zip(("first", "second"), tables, strict=True):
        assert [r[0] for r in rows] == CATEGORIES
        assert [float(r[2]) for r in rows] == list(student["marks"][role]["marks"].values())
    assert page.count('<p class="comments">') == 2


def test_marks_page_without_submission(client: Client, demo: DemoUniversity) -> None:
    student = next(s for s in demo.truth()["students"] if not s["submitted"])
    page = client.get("/oscar/marks", pres=COURSE, pi=student["pi"]).text
    assert "No submission" in page and 'class="marks"' not in page


def test_thirdmark_form_fields(client: Client, demo: DemoUniversity) -> None:
    pi = first_submitted(demo.truth(), third=True)["pi"]
    page = client.get("/oscar/thirdmark", pres=COURSE, pi=pi).text
    assert f'<form method="post" action="/oscar/thirdmark?pres={COURSE}&amp;pi={pi}">' in page
    for i, name in enumerate(CATEGORIES, start=1):
        assert f'name="mark_{i}"' in page and f">{name}</label>" in page
    assert '<textarea name="comments"' in page and 'name="confirmation_code"' in page


def test_thirdmark_wrong_code_and_bad_marks(client: Client, demo: DemoUniversity) -> None:
    student = first_submitted(demo.truth(), third=True)
    assert "Confirmation code does not match" in client.third_mark(
        student["pi"], ["5"] * 5, "WRON-GCOD")
    assert "Invalid mark" in client.third_mark(
        student["pi"], ["5", "9", "5", "5", "5"], student["confirmation_code"])
    assert "Invalid mark" in client.third_mark(
        student["pi"], ["5", "x", "5", "5", "5"], student["confirmation_code"])
    posts = demo.truth()["third_marks"]
    assert [p["accepted"] for p in posts] == [False, False, False]


def test_thirdmark_recorded_shown_and_double_posts_counted(
    client: Client, demo: DemoUniversity,
) -> None:
    student = first_submitted(demo.truth(), third=True)
    pi, code = student["pi"], student["confirmation_code"]
    assert "Third mark recorded" in client.third_mark(pi, ["6", "5", "7", "6", "5"], code, "Fine.")
    assert "Third mark recorded" in client.third_mark(pi, ["6", "5", "7", "6", "6"], code, "Again.")
    page = client.get("/oscar/marks", pres=COURSE, pi=pi).text
    assert "<h3>Third marker: Demo Marker</h3>" in page and "Again." in page
    assert [r[2] for r in table_rows(page, "marks")[10:]] == ["6", "5", "7", "6", "6"]
    rows = table_rows(client.get("/oscar/allocation", pres=COURSE).text, "allocation")
    assert next(r for r in rows if r[0] == pi)[3] == "Third marked"
    demo.flush_truth()
    posts = read_truth(demo.config.truth_path)["third_marks"]
    assert [(p["pi"], p["accepted"], p["comments"]) for p in posts] == [
        (pi, True, "Fine."), (pi, True, "Again.")]
    assert all(p["timestamp"] and p["code"] == code for p in posts)


def test_thirdmark_post_needs_a_fresh_token(client: Client, demo: DemoUniversity) -> None:
    pi = first_submitted(demo.truth(), third=True)["pi"]
    answer = client.http.post(f"/oscar/thirdmark?pres={COURSE}&pi={pi}", data={"mark_1": "5"})
    assert answer.status_code == 400


def test_etma_student_page_matches_truth(client: Client, demo: DemoUniversity) -> None:
    student = first_submitted(demo.truth())
    page = client.get("/etma/student", course=COURSE, pi=student["pi"]).text
    files = [[f["name"], str(f["size"]), f["submitted"]] for f in student["files"]]
    assert table_rows(page, "files") == files
    assert f'Confirmation code: <b class="code">{student["confirmation_code"]}</b>' in page
    assert '<select name="fileset"><option value="all">All files (zip)</option></select>' in page
    assert '<form method="post" action="/etma/download">' in page


def test_download_is_the_truth_zip(client: Client, demo: DemoUniversity) -> None:
    student = first_submitted(demo.truth())
    answer = client.download(student["pi"])
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="{COURSE}_{student["pi"]}.zip"')
    assert int(answer.headers["content-length"]) == student["zip"]["size"] == len(answer.content)
    assert hashlib.sha256(answer.content).hexdigest() == student["zip"]["sha256"]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    for entry in student["files"]:
        data = archive.read(entry["name"])
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])


def test_no_submission_and_unknown_students(client: Client, demo: DemoUniversity) -> None:
    absent = next(s for s in demo.truth()["students"] if not s["submitted"])
    for pi, course in ((absent["pi"], COURSE), ("Z9999999", COURSE), (absent["pi"], "M269-25J")):
        assert "No submission found" in client.get("/etma/student", course=course, pi=pi).text


def test_truth_file_fields(demo: DemoUniversity) -> None:
    truth = read_truth(Path(demo.config.truth_path))
    assert truth["digests"] == "eager" and truth["base_url"] == demo.base_url
    assert demo.password not in Path(demo.config.truth_path).read_text(encoding="utf-8")
    assert [(c["category"], c["weight"]) for c in truth["scheme"]] == list(
        zip(CATEGORIES, [1.0, 1.5, 2.5, 1.5, 1.5], strict=True))
    student = first_submitted(truth)
    assert set(student) >= {"pi", "name", "tutor_group", "submitted", "confirmation_code",
                            "files", "zip", "marks", "flag", "evil_entries", "malformed_row"}
    assert set(truth["counters"]) >= {"requests", "faults", "logins", "lockouts"}


def test_request_counters(client: Client, demo: DemoUniversity) -> None:
    client.get("/oscar/")
    client.get("/nowhere")
    counters = demo.truth()["counters"]
    assert counters["requests"]["GET /oscar/"] == 2  # one after sign-in, one here
    assert counters["requests"]["unknown"] == 1 and counters["logins"] == 1
