import re
from pathlib import Path

import pytest

from gaffertape.errors import UserError
from gaffertape.sites.profile import bundled_profiles, load_profile, parse_profile


def test_bundled_profiles_load() -> None:
    assert {"demo-marks", "demo-submissions"} <= set(bundled_profiles())
    marks = load_profile("demo-marks")
    assert marks.allocation is not None and "pi" in marks.allocation.columns
    assert load_profile("demo-submissions").submission is not None


def test_bad_profile_names_the_field(tmp_path: Path) -> None:
    good = (Path(__file__).parents[2] / "src/gaffertape/sites/profiles/demo-marks.toml").read_text()
    zero_connections, replaced = re.subn(r"(?m)^concurrency = \d+$", "concurrency = 0", good)
    assert replaced == 1
    with pytest.raises(UserError, match=r"politeness\.concurrency"):
        parse_profile(zero_connections, "x.toml")
    with pytest.raises(UserError, match=r"allocation\.table.*XPath"):
        parse_profile(
            good.replace('table = "//table[contains(concat', 'table = "//table[[(', 1), "x.toml"
        )
    with pytest.raises(UserError, match=r"login"):
        parse_profile('name = "x"\n', "x.toml")
    with pytest.raises(UserError, match="unknown_key"):
        parse_profile(good + "\nunknown_key = 1\n", "x.toml")
    with pytest.raises(UserError, match="invalid TOML"):
        parse_profile("name = ", "x.toml")
    assert load_profile("demo-marks").source == "bundled:demo-marks.toml"


def test_missing_section_is_a_user_error() -> None:
    with pytest.raises(UserError, match=r"\[allocation\]"):
        load_profile("demo-submissions").need("allocation")


def test_hook_module_from_file(tmp_path: Path) -> None:
    hook = tmp_path / "hooks.py"
    hook.write_text(
        "def clean_allocation_row(row):\n    row['name'] = row['name'].upper()\n    return row\n"
    )
    good = (Path(__file__).parents[2] / "src/gaffertape/sites/profiles/demo-marks.toml").read_text()
    profile_path = tmp_path / "p.toml"
    profile_path.write_text(good + '\n[hooks]\nmodule = "hooks.py"\n')
    profile = load_profile(profile_path)
    assert profile.hook("clean_allocation_row")({"name": "x"}) == {"name": "X"}
    assert profile.hook("nope") is None
