"""The deployment files, checked without a Docker engine (none runs here).

docker-compose.yml is parsed as Compose would (YAML, merge keys, ``$VAR`` interpolation), and
every command a service runs must be real: a ``gaffertape`` command line must parse with the
package's own CLI (a renamed option or command fails here), and any other program must be a
console script of a package the Dockerfile installs.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shlex
from pathlib import Path
from typing import Any

import typer.main
import yaml

from gaffertape.cli import app

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
# program -> what the Dockerfile's pip install names to provide it
OTHER_PROGRAMS = {"jupyter": " jupyterlab", "spark-class": "'.[spark]'"}
ENV_REFERENCE = re.compile(r"\$\{?(\w+)[^}\s]*\}?")


def interpolated(command: str | list[str]) -> list[str]:
    """A service's command as Compose runs it, with each ``$VAR`` given a stand-in value."""
    text = command if isinstance(command, str) else shlex.join(command)
    return shlex.split(ENV_REFERENCE.sub("x" * 32, text))


def parse_gaffertape(argv: list[str]) -> Any:
    """Parse a gaffertape command line with the real CLI, down to its (sub)command."""
    command = typer.main.get_command(app)
    ctx = command.make_context("gaffertape", argv)
    while hasattr(command, "resolve_command"):  # a group (Typer's own click, not `click`)
        remaining = [*ctx._protected_args, *ctx.args]
        if not remaining:
            break
        _, command, rest = command.resolve_command(ctx, remaining)
        ctx = command.make_context(command.name, rest, parent=ctx)
    assert not ctx.args, f"unused arguments {ctx.args}"
    return command


def services_commands() -> dict[str, list[str]]:
    return {name: interpolated(service["command"])
            for name, service in COMPOSE["services"].items()}


def test_every_service_shares_the_one_workspace_volume() -> None:
    assert set(COMPOSE["volumes"]) == {"workspace"}
    for name, service in COMPOSE["services"].items():
        assert "workspace:/workspace" in service["volumes"], name
        assert service["environment"]["GAFFERTAPE_WORKSPACE"] == "/workspace", name


def test_the_app_runs_exactly_the_documented_command() -> None:
    command = COMPOSE["services"]["app"]["command"]
    assert command == "gaffertape app --host 0.0.0.0 --token $GAFFERTAPE_APP_TOKEN"
    assert parse_gaffertape(interpolated(command)[1:]).name == "app"


def test_every_command_is_a_real_entry_point() -> None:
    scripts = {ep.name: ep for ep in importlib.metadata.entry_points(group="console_scripts")}
    assert scripts["gaffertape"].value == "gaffertape.cli:main"
    for name, argv in services_commands().items():
        if argv[0] == "gaffertape":
            parse_gaffertape(argv[1:])
            continue
        package = OTHER_PROGRAMS.get(argv[0])
        assert package, f"{name} runs {argv[0]}, which nothing here provides"
        assert re.search(rf"pip install [^\n]*{re.escape(package)}", DOCKERFILE), (name, package)


def test_spark_class_comes_with_the_spark_extra() -> None:
    spark_extra = importlib.metadata.metadata("gaffertape").get_all("Requires-Dist") or []
    assert any(r.startswith("pyspark") and 'extra == "spark"' in r for r in spark_extra)
    files = importlib.metadata.files("pyspark") or []
    assert any(str(f).endswith("bin/spark-class") for f in files)


def test_the_image_default_command_is_the_app() -> None:
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, flags=re.MULTILINE)
    assert cmd, "Dockerfile has no CMD"
    argv = json.loads(cmd[1])
    assert argv[0] == "gaffertape" and parse_gaffertape(argv[1:]).name == "app"


def test_tokens_come_from_the_environment_and_ports_from_loopback() -> None:
    app_env = COMPOSE["services"]["app"]["environment"]
    jupyter_env = COMPOSE["services"]["jupyter"]["environment"]
    assert app_env["GAFFERTAPE_APP_TOKEN"].startswith("${GAFFERTAPE_APP_TOKEN:?")
    assert jupyter_env["JUPYTER_TOKEN"].startswith("${JUPYTER_TOKEN:?")
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)


def test_spark_services_are_optional() -> None:
    for name in ("spark-master", "spark-worker"):
        assert COMPOSE["services"][name]["profiles"] == ["spark"]
