"""docker-compose.yml (the production layout) agrees with the code: its IPSENTRY_* variables are
real settings that validate, its URLs point at its own services with their credentials, and its
commands exist in the CLI."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
import yaml
from pydantic import BaseModel

from ipsentry.cli import app
from ipsentry.config.settings import Settings

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
IPSENTRY_SERVICES = ("init", "api", "scheduler", "worker")
# ${NAME}, ${NAME:-default}, ${NAME:?message}
_VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def substituted(value: str) -> str:
    """The value as compose would give it, each variable standing for a value named after it."""
    return _VARIABLE.sub(lambda m: m.group(3) if m.group(2) == "-" else f"<{m.group(1)}>", value)


def required_variable(value: str) -> str:
    """The name of the variable a value consists of, which must be required (``${X:?…}``)."""
    match = _VARIABLE.fullmatch(value)
    assert match is not None and match.group(2) == "?", f"{value!r} must be a required ${{VAR:?…}}"
    return match.group(1)


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in service.get("environment", {}).items()}


def _field_path_exists(model: type[BaseModel], path: list[str]) -> bool:
    field = model.model_fields.get(path[0])
    if field is None:
        return False
    if len(path) == 1:
        return True
    nested = field.annotation
    return isinstance(nested, type) and issubclass(nested, BaseModel) and _field_path_exists(nested, path[1:])


def test_every_ipsentry_variable_is_a_setting(compose: dict[str, Any]) -> None:
    for name in IPSENTRY_SERVICES:
        variables = [v for v in environment(services(compose)[name]) if v.startswith("IPSENTRY_")]
        assert variables, f"{name} sets no IPSENTRY_* variable"
        for variable in variables:
            path = variable.removeprefix("IPSENTRY_").lower().split("__")
            assert _field_path_exists(Settings, path), f"{name}: {variable} is not a setting"


def test_the_settings_validate_and_select_the_cluster(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in IPSENTRY_SERVICES:
        for variable, value in environment(services(compose)[name]).items():
            monkeypatch.setenv(variable, substituted(value))
        settings = Settings()
        assert settings.environment == "production"
        assert settings.secret_key is not None  # required in production
        assert settings.search_backend == "elasticsearch"
        assert settings.resolved_database_url.startswith("postgresql://")


def test_the_database_url_is_the_postgres_service(compose: dict[str, Any]) -> None:
    postgres = environment(services(compose)["postgres"])
    for name in IPSENTRY_SERVICES:
        url = urlsplit(substituted(environment(services(compose)[name])["IPSENTRY_DATABASE_URL"]))
        assert url.scheme == "postgresql"
        assert (url.hostname, url.port) == ("postgres", 5432)
        assert url.username == postgres["POSTGRES_USER"]
        assert url.path == f"/{postgres['POSTGRES_DB']}"
        # The same secret, not a copy of it.
        assert url.password == f"<{required_variable(postgres['POSTGRES_PASSWORD'])}>"


def test_the_search_url_is_the_elasticsearch_service(compose: dict[str, Any]) -> None:
    elasticsearch = environment(services(compose)["elasticsearch"])
    for name in IPSENTRY_SERVICES:
        env = environment(services(compose)[name])
        url = urlsplit(env["IPSENTRY_SEARCH_URL"])
        assert (url.scheme, url.hostname, url.port) == ("http", "elasticsearch", 9200)
        # ELASTIC_PASSWORD is the password of the built-in "elastic" user.
        assert env["IPSENTRY_SEARCH_USERNAME"] == "elastic"
        assert required_variable(env["IPSENTRY_SEARCH_PASSWORD"]) == required_variable(
            elasticsearch["ELASTIC_PASSWORD"]
        )
    assert elasticsearch["discovery.type"] == "single-node"


def test_processes_wait_for_healthy_servers_and_the_migration(compose: dict[str, Any]) -> None:
    for server in ("postgres", "elasticsearch"):
        assert "healthcheck" in services(compose)[server]
    for name in IPSENTRY_SERVICES:
        depends = services(compose)[name]["depends_on"]
        assert depends["postgres"] == {"condition": "service_healthy"}
        assert depends["elasticsearch"] == {"condition": "service_healthy"}
        if name != "init":
            assert depends["init"] == {"condition": "service_completed_successfully"}


def test_only_the_api_is_published(compose: dict[str, Any]) -> None:
    published = {name for name, service in services(compose).items() if service.get("ports")}
    assert published == {"api"}
    assert services(compose)["api"]["ports"] == ["8000:8000"]


def _serve_options() -> set[str]:
    command = typer.main.get_command(app)
    serve = command.commands["serve"]  # type: ignore[attr-defined]
    return {option for parameter in serve.params for option in [*parameter.opts, *parameter.secondary_opts]}


def test_commands_exist_in_the_cli(compose: dict[str, Any]) -> None:
    command = typer.main.get_command(app)
    assert services(compose)["init"]["command"] == ["ipsentry", "init"]
    assert "init" in command.commands  # type: ignore[attr-defined]
    api, scheduler = services(compose)["api"]["command"], services(compose)["scheduler"]["command"]
    assert api[:2] == scheduler[:2] == ["ipsentry", "serve"]
    options = _serve_options()
    for argv in (api, scheduler):
        assert {arg for arg in argv[2:] if arg.startswith("--")} <= options
    # The API replicas run no jobs; the one scheduler runs them.
    assert "--no-scheduler" in api and "--no-scheduler" not in scheduler
    assert "deploy" not in services(compose)["scheduler"]  # never scaled past one
    assert services(compose)["worker"]["command"] == ["python", "-m", "ipsentry.service.worker"]


def test_the_worker_module_runs_as_a_program() -> None:
    spec = importlib.util.find_spec("ipsentry.service.worker")
    assert spec is not None and spec.origin is not None
    assert 'if __name__ == "__main__":' in Path(spec.origin).read_text(encoding="utf-8")


def test_secrets_are_never_written_into_the_file(compose: dict[str, Any]) -> None:
    for service in services(compose).values():
        for variable, value in environment(service).items():
            if any(word in variable for word in ("PASSWORD", "TOKEN", "KEY")):
                assert _VARIABLE.fullmatch(value), f"{variable} must come from the environment"
    for name in IPSENTRY_SERVICES:
        required_variable(environment(services(compose)[name])["IPSENTRY_SECRET_KEY"])
