"""Site profiles: a declarative TOML description of one institution's web system.

A profile says how to log in, how to recognise the login and lockout pages, and where each piece
of data lives (URL templates, XPath expressions, table headers, form field names). Pointing
gaffertape at another institution needs a new profile, not new code; ``[hooks] module`` names a
small Python module for the odd page that no declaration can describe (see docs/sites.md).

Profiles are validated by pydantic: a bad one is a :class:`UserError` naming the field.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gaffertape.errors import UserError
from gaffertape.identity import OU_PI_PATTERN


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
    return value


def _check_xpath(value: str) -> str:
    from lxml import etree

    try:
        etree.XPath(value)
    except etree.XPathSyntaxError as exc:
        raise ValueError(f"not a valid XPath expression: {value!r} ({exc})") from exc
    return value


class LoginStep(_Model):
    """One form of a sign-in sequence: an identifier page, a password page, an SSO hop."""

    name: str = Field("", description="what the step is called in messages, e.g. 'password'")
    form: str = Field(description="XPath of the form on the page the previous step led to")
    username_field: str | None = None
    password_field: str | None = None
    values: dict[str, str] = Field(default_factory=dict, description="fixed values to send")
    optional: bool = Field(
        False, description="skip when its form is absent (e.g. an SSO hop seen only sometimes)"
    )

    _x = field_validator("form")(_check_xpath)

    @property
    def label(self) -> str:
        return self.name or self.form


class Login(_Model):
    url: str
    form: str = "//form[.//input[@type='password']]"
    username_field: str = "username"
    password_field: str = "password"
    failure_text: list[str] = Field(default_factory=list)
    steps: list[LoginStep] = Field(
        default_factory=list,
        description="multi-step sign-in, in order; without it one step from form/*_field",
    )
    other_origins: list[str] = Field(
        default_factory=list,
        description="origins besides the site's own (and login.url's) that may receive the "
        "password and form posts, e.g. ['https://login.example.ac.uk'] for a separate SSO host",
    )

    _x = field_validator("form")(_check_xpath)

    def sequence(self) -> list[LoginStep]:
        """The sign-in steps: the declared ones, or the single form of a one-page sign-in."""
        if self.steps:
            return self.steps
        return [
            LoginStep(
                name="sign-in",
                form=self.form,
                username_field=self.username_field,
                password_field=self.password_field,
            )
        ]


class Detect(_Model):
    login_page: list[str] = Field(default_factory=list, description="XPath: any match = login page")
    login_text: list[str] = Field(default_factory=list)
    lockout_page: list[str] = Field(default_factory=list)
    lockout_text: list[str] = Field(default_factory=list)
    retry_after_regex: str | None = None

    @field_validator("login_page", "lockout_page")
    @classmethod
    def _xpaths(cls, value: list[str]) -> list[str]:
        return [_check_xpath(v) for v in value]

    _r = field_validator("retry_after_regex")(_check_regex)


class Politeness(_Model):
    delay: float = Field(
        0.1, ge=0, description="base gap between request starts per host (randomised x 0.5-1.5)"
    )
    concurrency: int = Field(
        6, ge=1, le=32, description="parallel connections per host (what browsers use)"
    )
    rate: float = Field(8.0, gt=0, description="requests per second per host, all workers")
    global_rate: float = Field(
        20.0, gt=0, description="requests per second over all hosts, the whole process"
    )
    retries: int = Field(5, ge=0, le=20)
    backoff: float = Field(0.5, ge=0, description="first retry wait; doubles each time, jittered")
    max_backoff: float = Field(30.0, gt=0)
    timeout: float = Field(60.0, gt=0)


class Column(_Model):
    """A table column found by its header text (case, spaces and punctuation ignored) or by a
    regex on the header; ``pattern`` is what its cells look like; ``values`` maps the site's
    words to gaffertape's (e.g. a status)."""

    header: str | None = None
    header_regex: str | None = None
    pattern: str | None = None
    values: dict[str, str] = Field(default_factory=dict)

    _r = field_validator("pattern", "header_regex")(_check_regex)

    @model_validator(mode="after")
    def _one_header(self) -> Column:
        if (self.header is None) == (self.header_regex is None):
            raise ValueError("give exactly one of `header` and `header_regex`")
        return self


class Presentations(_Model):
    url: str
    link: str
    param: str = Field("pres", description="query parameter of the link holding the course")
    path_regex: str | None = Field(
        None, description="regex on the link's path, group 1 = the course (instead of `param`)"
    )

    _x = field_validator("link")(_check_xpath)
    _r = field_validator("path_regex")(_check_regex)


class Allocation(_Model):
    url: str
    table: str
    columns: dict[str, Column]
    links: dict[str, str] = Field(default_factory=dict)

    _x = field_validator("table")(_check_xpath)

    @field_validator("columns")
    @classmethod
    def _need_pi(cls, value: dict[str, Column]) -> dict[str, Column]:
        if "pi" not in value:
            raise ValueError("must map a 'pi' column")
        return value

    @field_validator("links")
    @classmethod
    def _link_regexes(cls, value: dict[str, str]) -> dict[str, str]:
        for v in value.values():
            _check_regex(v)
        return value


class Marks(_Model):
    """Where marks are. ``layout = "category_rows"``: per marker a heading (role and name) and a
    table with one row per category. ``layout = "marker_rows"``: one table, one row per marker,
    one column per category (headers matching ``category_header_regex``)."""

    url: str
    layout: Literal["category_rows", "marker_rows"] = "category_rows"
    heading: str | None = None
    heading_regex: str | None = None
    table: str
    comments: str | None = None
    category_column: str = "Category"
    max_column: str | None = "Max"
    mark_column: str = "Mark"
    marker_column: str = "Marker"
    role_column: str = "Role"
    comments_column: str | None = None
    category_header_regex: str = Field(
        r"^(?P<category>.+?)\s*\((?:max\s*|/\s*|out of\s*)?(?P<max>\d+(?:\.\d+)?)\)$",
        description="marker_rows: a category column's header; groups `category`, optional `max`",
    )
    no_data_text: list[str] = Field(default_factory=list)
    roles: dict[str, str] = Field(default_factory=dict)

    @field_validator("heading", "table", "comments")
    @classmethod
    def _xpaths(cls, value: str | None) -> str | None:
        return None if value is None else _check_xpath(value)

    @field_validator("heading_regex")
    @classmethod
    def _groups(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _check_regex(value)
        if not {"role", "marker"} <= set(re.compile(value).groupindex):
            raise ValueError("needs named groups (?P<role>...) and (?P<marker>...)")
        return value

    @field_validator("category_header_regex")
    @classmethod
    def _category_group(cls, value: str) -> str:
        _check_regex(value)
        if "category" not in re.compile(value).groupindex:
            raise ValueError("needs a named group (?P<category>...)")
        return value

    @model_validator(mode="after")
    def _layout_needs(self) -> Marks:
        if self.layout == "category_rows" and not (self.heading and self.heading_regex):
            raise ValueError("layout 'category_rows' needs `heading` and `heading_regex`")
        return self


class Post(_Model):
    url: str
    form: str
    mark_field_regex: str = r"^mark_(\d+)$"
    comments_field: str = "comments"
    code_field: str = "confirmation_code"
    success_text: list[str]
    error_text: list[str] = Field(default_factory=list)
    role: str = "third"
    readback: Literal["marks", "page", "unavailable"] = Field(
        "marks",
        description="where posted marks can be read back: the [marks] page, a page of its own "
        "(`readback_url`, parsed like [marks]), or nowhere (the audit table is relied on)",
    )
    readback_url: str | None = None

    _x = field_validator("form")(_check_xpath)
    _r = field_validator("mark_field_regex")(_check_regex)

    @model_validator(mode="after")
    def _readback_page(self) -> Post:
        if self.readback == "page" and not self.readback_url:
            raise ValueError("readback = 'page' needs `readback_url`")
        return self


class Submission(_Model):
    """A student's submission page: the code, the files (a table, or a ``<ul>``/``<ol>``/``<dl>``
    listing whose items hold name, size and date), and the download (a form, POST or GET, or a
    plain link)."""

    url: str
    no_submission_text: list[str] = Field(default_factory=list)
    files_table: str | None = None
    file_column: str = "File"
    size_column: str = "Size"
    submitted_column: str = "Submitted"
    files_list: str | None = Field(None, description="XPath of the listing's items (li, dt)")
    file_name: str = Field(".", description="XPath in an item: the file name")
    file_size: str | None = Field(None, description="XPath in an item: the size")
    file_submitted: str | None = Field(None, description="XPath in an item: when submitted")
    code: str | None = None
    download_form: str | None = None
    download_link: str | None = Field(None, description="XPath of the download <a> (a GET)")
    download_content_type: str = "zip"
    choose: dict[str, str] = Field(default_factory=dict)

    @field_validator(
        "files_table", "code", "download_form", "download_link", "files_list", "file_name",
        "file_size", "file_submitted",
    )
    @classmethod
    def _xpaths(cls, value: str | None) -> str | None:
        return None if value is None else _check_xpath(value)

    @model_validator(mode="after")
    def _shapes(self) -> Submission:
        if (self.download_form is None) == (self.download_link is None):
            raise ValueError("give exactly one of `download_form` and `download_link`")
        for key, wrong, use in (
            ("download_form", {"a"}, "download_link"),
            ("download_link", {"form"}, "download_form"),
            ("files_table", {"ul", "ol", "dl", "li", "dt", "dd"}, "files_list"),
            ("files_list", {"table", "tr"}, "files_table"),
        ):
            value = getattr(self, key)
            if value is not None and _selects(value) in wrong:
                raise ValueError(
                    f"`{key}` = {value!r} selects <{_selects(value)}> elements; use `{use}`"
                )
        return self


def _selects(xpath: str) -> str | None:
    """The element name an XPath's last step selects (``//div/a[@x]`` -> ``a``), if plain."""
    last = re.split(r"/(?![^\[]*\])", xpath.strip())[-1]
    match = re.match(r"(?:descendant(?:-or-self)?::|child::)?([A-Za-z][\w-]*)\s*(?:\[|$)", last)
    return match[1].lower() if match else None


HOOKS: dict[str, str] = {
    "fix_page": "fix_page(html: str, url: str) -> str: every HTML page, before anything reads it",
    "clean_allocation_row": "clean_allocation_row(row: dict) -> dict: every allocation row",
    "clean_marks_row": "clean_marks_row(row: dict) -> dict: every marks row (role, marker, "
    "category, max, mark, comments)",
    "clean_file": "clean_file(item: dict) -> dict: every listed file (file, size, submitted)",
}
"""The named extension points a ``[hooks] module`` may define, with their signatures."""


class Hooks(_Model):
    module: str | None = Field(None, description="importable module, or a .py file path")


class Profile(_Model):
    """One site, as described by its TOML file."""

    name: str
    kind: Literal["marks", "submissions", "other"] = "other"
    description: str = ""
    base_url: str | None = None
    pi_pattern: str = OU_PI_PATTERN  # students' identifiers (see gaffertape.identity)
    login: Login
    detect: Detect = Field(default_factory=Detect)
    politeness: Politeness = Field(default_factory=Politeness)
    presentations: Presentations | None = None
    allocation: Allocation | None = None
    marks: Marks | None = None
    post: Post | None = None
    submission: Submission | None = None
    hooks: Hooks = Field(default_factory=Hooks)
    source: str = Field("", exclude=True)

    def need(self, section: str) -> Any:
        """The named section, or a UserError saying the profile lacks it."""
        value = getattr(self, section, None)
        if value is None:
            raise UserError(
                f"site profile {self.name!r} ({self.source}) has no [{section}] section",
                hint="add it, see docs/sites.md",
            )
        return value

    def hook(self, name: str) -> Any:
        """The hook function ``name`` (one of :data:`HOOKS`) from ``[hooks] module``, or None."""
        if not self.hooks.module:
            return None
        return getattr(_load_hook_module(self.hooks.module, self.source), name, None)

    def load_hooks(self) -> list[str]:
        """Import the hook module now (before any request), so a broken one fails first.

        Returns the hooks it defines; a module that defines none of them is an error (a typo
        in a function name would otherwise be silently ignored)."""
        if not self.hooks.module:
            return []
        module = _load_hook_module(self.hooks.module, self.source)
        found = [name for name in HOOKS if callable(getattr(module, name, None))]
        if not found:
            raise UserError(
                f"site profile {self.source}: hooks.module {self.hooks.module!r} defines none of "
                f"the hooks ({', '.join(HOOKS)})",
                hint="see docs/sites.md, Hooks",
            )
        return found


_hook_cache: dict[str, Any] = {}


def _load_hook_module(spec: str, source: str) -> Any:
    if spec in _hook_cache:
        return _hook_cache[spec]
    try:
        if spec.endswith(".py"):
            path = Path(spec)
            if not path.is_absolute() and source:
                path = Path(source).parent / path
            module_spec = importlib.util.spec_from_file_location(
                f"gaffertape_hook_{path.stem}", path
            )
            if module_spec is None or module_spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(spec)
    except (ImportError, OSError, SyntaxError) as exc:
        raise UserError(
            f"site profile {source}: hooks.module {spec!r} cannot be loaded: {exc}",
            hint="check the module name or path",
        ) from exc
    _hook_cache[spec] = module
    return module


def bundled_profiles() -> list[str]:
    """Names of the profiles shipped with gaffertape."""
    return sorted(
        e.name[:-5]
        for e in resources.files("gaffertape.sites.profiles").iterdir()
        if e.name.endswith(".toml")
    )


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a profile by bundled name (``demo-marks``) or from a TOML file path."""
    text: str
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise UserError(f"site profile file {candidate} not found")
        text, source = candidate.read_text(encoding="utf-8"), str(candidate)
    else:
        entry = resources.files("gaffertape.sites.profiles") / f"{name_or_path}.toml"
        if not entry.is_file():
            raise UserError(
                f"no site profile named {name_or_path!r}",
                hint=f"bundled: {', '.join(bundled_profiles())}; or give a .toml path",
            )
        text, source = entry.read_text(encoding="utf-8"), f"bundled:{name_or_path}.toml"
    return parse_profile(text, source)


def parse_profile(text: str, source: str = "<string>") -> Profile:
    """Validate profile TOML text; errors name the file and the field at fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"site profile {source}: invalid TOML: {exc}", hint="fix the file") from exc
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(
            f"site profile {source}: field `{where}`: {first['msg']}"
            + (f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""),
            hint="see docs/sites.md for the profile format",
        ) from exc
    return profile.model_copy(update={"source": source})
