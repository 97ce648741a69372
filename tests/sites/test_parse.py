from gaffertape.sites import parse
from gaffertape.sites.engine import Page, form_fields
from gaffertape.sites.profile import load_profile

ALLOC = """<html><body><table class="allocation">
<tr><th>PI</th><th>Name</th><th>Tutor group</th><th>Status</th><th>Marks</th>
<th>Third mark</th></tr>
<tr><td>A1234567</td><td>Zoë O&#39;Brien</td><td>TG01</td><td>Marked</td>
<td><a href="/oscar/marks?pres=P&amp;pi=A1234567">View</a></td><td>—</td></tr>
<tr><td></td><td><font>B1234567</font></td><td>Ann&nbsp; Lee</td><td> TG01 </td>
<td>Third marking required</td><td><a href="/oscar/marks?pres=P&amp;pi=B1234567">View</a></td>
<td><a href="/oscar/thirdmark?pres=P&amp;pi=B1234567">Enter</a></td></tr>
<tr><td>C1234567<!-- x --></td><td>Cy</td><td>TG02</td><td>No submission</td>
</table></body></html>"""


def test_allocation_survives_malformed_rows() -> None:
    spec = load_profile("demo-marks").allocation
    assert spec is not None
    rows = parse.parse_allocation(Page("http://h/oscar/allocation?pres=P", 200, ALLOC), spec, "P")
    by_pi = {r["pi"]: r for r in rows}
    assert set(by_pi) == {"A1234567", "B1234567", "C1234567"}
    assert by_pi["A1234567"]["name"] == "Zoë O'Brien"
    assert by_pi["B1234567"]["status"] == "Third marking required"
    assert by_pi["B1234567"]["tutor_group"] == "TG01"
    assert by_pi["B1234567"]["third_url"].endswith("thirdmark?pres=P&pi=B1234567")
    assert by_pi["C1234567"]["status"] == "No submission"
    assert by_pi["A1234567"]["third_url"] is None


def test_pasted_allocations() -> None:
    tsv = "PI\tName\tTutor group\tStatus\nA1234567\tAnn\tTG01\tMarked\nB7654321\tBo\tTG02\tMarked\n"
    rows = parse.parse_pasted(tsv, "TM470-25J")
    assert [r["pi"] for r in rows] == ["A1234567", "B7654321"]
    assert rows[1]["tutor_group"] == "TG02" and rows[0]["course"] == "TM470-25J"
    html_rows = parse.parse_pasted(ALLOC, "P")
    assert {r["pi"] for r in html_rows} >= {"A1234567", "C1234567"}
    text = "PI   Name   Status\nA1234567   Ann Lee   Marked\n"
    assert parse.parse_pasted(text, "P")[0]["name"] == "Ann Lee"


def test_form_fields_carry_hidden_values() -> None:
    page = Page(
        "http://h/etma/student",
        200,
        """<form method="post" action="/etma/download">
      <select name="fileset"><option value="all">All files (zip)</option></select>
      <input type="hidden" name="course" value="C"><input type="hidden" name="csrf_token"
      value="tok"><input type="submit" value="Download"></form>""",
    )
    assert form_fields(page.xpath("//form")[0]) == {
        "fileset": "all",
        "course": "C",
        "csrf_token": "tok",
    }
