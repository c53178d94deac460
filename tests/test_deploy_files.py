"""The deployment files agree with each other and with the code (no Docker engine needed)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _yaml(name: str) -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / name).read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _yaml("docker-compose.yml")


@pytest.fixture(scope="module")
def prefect_yaml() -> dict[str, Any]:
    return _yaml("prefect.yaml")


def _command(service: dict[str, Any]) -> str:
    cmd = service.get("command", "")
    return " ".join(cmd) if isinstance(cmd, list) else str(cmd)


def _interpolate(value: str) -> str:
    """What compose does with ``${VAR...}`` given a value (the .env's)."""
    return re.sub(r"\$\{[^}]*\}", "value", value)


def _pools(prefect_yaml: dict[str, Any]) -> set[str]:
    return {d["work_pool"]["name"] for d in prefect_yaml["deployments"]}


def test_prefect_yaml_matches_the_flow(prefect_yaml: dict[str, Any]) -> None:
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy
    from prefect.flows import load_flow_from_entrypoint

    deployments = prefect_yaml["deployments"]
    assert len(deployments) >= 2 and len({d["name"] for d in deployments}) == len(deployments)
    for d in deployments:
        flow = load_flow_from_entrypoint(d["entrypoint"])
        accepted = set(inspect.signature(flow.fn).parameters)
        assert set(d["parameters"]) <= accepted, d["name"]
        assert {"source", "dest"} <= set(d["parameters"])
        assert d["schedules"] and all(len(s["cron"].split()) == 5 for s in d["schedules"])
        assert d["concurrency_limit"]["limit"] >= 1
        ConcurrencyLimitStrategy(d["concurrency_limit"]["collision_strategy"])  # a valid strategy
        assert "presswash" in d["tags"]
    step = prefect_yaml["pull"][0]["prefect.deployments.steps.set_working_directory"]
    assert step["directory"] == "{{ $PRESSWASH_HOME }}"


def test_compose_services_are_consistent(compose: dict[str, Any], prefect_yaml: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "prefect-server", "minio", "setup", "worker"} <= set(services)
    for name, svc in services.items():  # depends_on names real services
        deps = svc.get("depends_on", [])
        assert set(deps) <= set(services), name

    built = [s for s in services.values() if "build" in s]
    assert len(built) == 1
    image = built[0]["image"]
    context = (DEPLOY / built[0]["build"]["context"]).resolve()
    assert context == ROOT and (context / built[0]["build"]["dockerfile"]).is_file()
    for name in ("prefect-server", "setup", "worker", "dask-scheduler", "dask-worker"):
        assert services[name]["image"] == image, name

    server = services["prefect-server"]
    port = re.search(r"--port (\d+)", _command(server))
    assert port is not None
    db = urlsplit(_interpolate(server["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]))
    assert db.scheme == "postgresql+asyncpg" and db.hostname == "postgres"
    assert db.path.lstrip("/") == services["postgres"]["environment"]["POSTGRES_DB"]
    assert db.username == services["postgres"]["environment"]["POSTGRES_USER"]
    for name in ("setup", "worker", "dask-worker"):
        api = urlsplit(services[name]["environment"]["PREFECT_API_URL"])
        assert (api.hostname, api.port, api.path) == ("prefect-server", int(port.group(1)), "/api"), name

    pools = _pools(prefect_yaml)
    worker_pool = re.search(r"--pool (\S+)", _command(services["worker"]))
    assert worker_pool is not None and {worker_pool.group(1)} == pools
    setup = _command(services["setup"])
    assert f"work-pool create {worker_pool.group(1)} --type process" in setup
    assert "--prefect-file deploy/prefect.yaml" in setup
    blocks = {d["parameters"].get("credentials_block") for d in prefect_yaml["deployments"]}
    assert blocks == {re.search(r"flows.credentials save (\S+)", setup).group(1)}  # type: ignore[union-attr]
    endpoint = urlsplit(services["setup"]["environment"]["AWS_ENDPOINT_URL"])
    assert endpoint.hostname == "minio" and f"{endpoint.port}:{endpoint.port}" in services["minio"]["ports"]
    dask = re.search(r"tcp://([\w-]+):(\d+)", _command(services["dask-worker"]))
    assert dask is not None and dask.group(1) == "dask-scheduler"
    assert f"--port {dask.group(2)}" in _command(services["dask-scheduler"])


def test_compose_variables_are_in_env_example() -> None:
    text = (DEPLOY / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    example = (DEPLOY / ".env.example").read_text()
    defined = set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    assert used and used <= defined
    assert ".env" in (DEPLOY / ".gitignore").read_text().split()


def test_dockerfile_is_slim_non_root_and_matches(compose: dict[str, Any], prefect_yaml: dict[str, Any]) -> None:
    lines = [ln.strip() for ln in (DEPLOY / "Dockerfile").read_text().splitlines()]
    instructions = [ln for ln in lines if ln and not ln.startswith("#")]
    assert re.match(r"FROM python:3\.1[1-9]-slim", instructions[0])
    user = [ln for ln in instructions if ln.startswith("USER ")]
    assert user and user[-1].split()[1] not in ("root", "0")
    workdir = [ln.split()[1] for ln in instructions if ln.startswith("WORKDIR ")]
    assert workdir == ["/app"] and "PRESSWASH_HOME=/app" in "".join(instructions)
    for ln in instructions:
        if ln.startswith("COPY "):
            for src in ln.split()[1:-1]:
                assert (ROOT / src).exists(), src
    assert any(re.search(r"pip install \.(\s|$)", ln) for ln in instructions)  # the package, from the repo
    cmd = next(ln for ln in instructions if ln.startswith("CMD "))
    assert all(f'"{pool}"' in cmd for pool in _pools(prefect_yaml))


def test_readme_names_what_exists(prefect_yaml: dict[str, Any]) -> None:
    readme = (DEPLOY / "README.md").read_text()
    for name in set(re.findall(r"`((?:deploy/)?[\w.-]+\.(?:yaml|yml|md|example)|Dockerfile)`", readme)):
        assert (DEPLOY / Path(name).name).exists(), name
    for d in prefect_yaml["deployments"]:
        assert f"clean-articles/{d['name']}" in readme
        for s in d["schedules"]:
            assert f"`{s['cron']}`" in readme
        assert d["concurrency_limit"]["collision_strategy"] in readme
    for pool in _pools(prefect_yaml):
        assert f"prefect work-pool create {pool} --type process" in readme
        assert f"prefect worker start --pool {pool}" in readme
    assert "prefect --no-prompt deploy --all --prefect-file deploy/prefect.yaml" in readme
    from flows.report import PROGRESS_KEY, REMOVALS_KEY, SUMMARY_KEY

    assert all(f"`{key}`" in readme for key in (SUMMARY_KEY, REMOVALS_KEY, PROGRESS_KEY))
