from pathlib import Path

import pytest

from gaffertape.errors import UserError
from gaffertape.sheets import api
from gaffertape.sheets.recipes import load_recipes

RECIPE = """
[[recipe]]
name = "students"
headers = ["students by subject"]
header_rows = 1
totals = "^none$"
"""


def test_recipe_matches_by_fingerprint_despite_drift(compound_xlsx: Path, shifted_xlsx: Path,
                                                     tmp_path: Path) -> None:
    recipes = tmp_path / "r.toml"
    recipes.write_text(RECIPE, encoding="utf-8")
    for path in (compound_xlsx, shifted_xlsx):
        data = api.tidy(path, recipes=recipes)
        assert set(data["column_header"]) == {"Men", "Women"}
        assert not data["is_total"].any()


def test_drifted_release_gives_the_same_observations(compound_xlsx: Path,
                                                     shifted_xlsx: Path) -> None:
    cols = ["row_header", "column_header", "sub_table", "value", "value_flags"]
    a, b = api.tidy(compound_xlsx)[cols], api.tidy(shifted_xlsx)[cols]
    assert a.equals(b)


def test_skip_and_bad_recipes(compound_xlsx: Path, tmp_path: Path) -> None:
    recipes = tmp_path / "r.toml"
    recipes.write_text('[[recipe]]\nname="drop"\nsheet="data"\nskip=true\n', encoding="utf-8")
    assert api.tidy(compound_xlsx, recipes=recipes).empty
    recipes.write_text('[[recipe]]\nname="x"\ncolour="red"\n', encoding="utf-8")
    with pytest.raises(UserError, match="unknown keys"):
        load_recipes(recipes)
    recipes.write_text('[[recipe]\n', encoding="utf-8")
    with pytest.raises(UserError, match="cannot read recipes"):
        load_recipes(recipes)
