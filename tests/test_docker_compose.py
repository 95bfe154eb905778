"""Static checks of the production deployment (docker-compose.yml, Dockerfile,
deploy/).  There is no Docker engine in CI, so the compose file is parsed and
its wiring asserted here (and `docker compose config` run where the docker CLI
has compose); the setup scripts are run against fake `temporal` and
`temporal-sql-tool` CLIs, and the proxy's configuration in a real nginx where
one is installed."""

from __future__ import annotations

import asyncio
import http.server
import ipaddress
import json
import os
import re
import shutil
import stat
import subprocess
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import TypeAdapter
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from cli.dev import CLI_TYPES
from core import temporal_names as names
from core.settings import Settings
from tests.conftest import executable
from tests.system import free_port

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PROXY_TEMPLATE = ROOT / "deploy" / "proxy.conf.template"
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus.yml"

REQUIRED_SERVICES = {
    "temporal-db",
    "temporal-schema",
    "temporal",
    "temporal-setup",
    "temporal-ui",
    "app-db",
    "migrate",
    "api",
    "proxy",
    "worker",
    "catalog-worker",
}
APP_SERVICES = ("api", "worker", "catalog-worker", "migrate", "demo-seed")
TIMEOUT_SETTINGS = (
    "APPROVAL_REMINDER_AFTER",
    "APPROVAL_ESCALATION_AFTER",
    "APPROVAL_TIMEOUT",
    "PARTNER_ACCEPT_TIMEOUT",
    "PARTNER_SHIP_TIMEOUT",
    "PARTNER_DELIVER_TIMEOUT",
)
# what the workflows upsert, as the temporal CLI names the types: the script must register all of them
SEARCH_ATTRIBUTES = {key.name: CLI_TYPES[key.indexed_value_type.name] for key in names.SEARCH_ATTRIBUTES}
# the server's names of the types, as the CLI spells them
INDEXED_VALUE_TYPE_CLI = {
    value: CLI_TYPES[name.removeprefix("INDEXED_VALUE_TYPE_")]
    for name, value in IndexedValueType.items()
    if name.removeprefix("INDEXED_VALUE_TYPE_") in CLI_TYPES
}
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# the keys of a service in the Compose Specification this file may use: a misspelt key (say
# `healtcheck`) is otherwise ignored by nobody but this test
SERVICE_KEYS = {
    "build", "command", "container_name", "depends_on", "deploy", "entrypoint", "environment",
    "env_file", "expose", "healthcheck", "image", "init", "labels", "logging", "networks", "ports",
    "profiles", "read_only", "restart", "security_opt", "stop_grace_period", "stop_signal", "tmpfs",
    "ulimits", "user", "volumes", "working_dir",
}  # fmt: skip
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}


# --------------------------------------------------------------------- helpers


def load_compose() -> dict:
    with COMPOSE_FILE.open() as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def with_defaults(text: str) -> str:
    """What compose makes of `${VAR:-default}` / `${VAR-default}` with VAR unset."""
    return re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", str(text))


def env_of(service: dict) -> dict[str, str]:
    """Normalise compose `environment` (mapping or KEY=VALUE list) to a dict."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        out = {}
        for item in env:
            key, sep, value = item.partition("=")
            out[key] = value if sep else None
        return out
    return {k: (None if v is None else str(v)) for k, v in env.items()}


def depends_on(service: dict) -> dict[str, str]:
    """Normalise `depends_on` (list or long form) to {name: condition}."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def published_ports(service: dict) -> list[tuple[str, str, str]]:
    """(host ip, published, target) from short ("[ip:]host:container") or long syntax, defaults
    filled in; no host ip means every interface ("")."""
    out = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            published = with_defaults(port.get("published", ""))
            out.append((str(port.get("host_ip", "")), published, str(port["target"])))
            continue
        spec = with_defaults(port).split("/")[0]
        parts = spec.rsplit(":", 2)
        if len(parts) == 1:
            out.append(("", "", parts[0]))  # a random host port on every interface
        elif len(parts) == 2:
            out.append(("", parts[0], parts[1]))
        else:
            out.append((parts[0].strip("[]"), parts[1], parts[2]))
    return out


def command_text(service: dict) -> str:
    cmd = service.get("command") or ""
    return " ".join(cmd) if isinstance(cmd, list) else str(cmd)


def healthcheck_text(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def is_one_shot(service: dict) -> bool:
    return service.get("restart", "no") == "no"


def image_tag(service: dict) -> tuple[str, str]:
    name, _, tag = with_defaults(service["image"]).rpartition(":")
    return name, tag


def setup_service(services: dict) -> tuple[str, dict]:
    name = "temporal-setup"
    assert image_tag(services[name])[0] == "temporalio/admin-tools"
    return name, services[name]


def mounted_script(service: dict) -> Path:
    for volume in service.get("volumes") or []:
        source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
        if source.startswith("./deploy/") and source.endswith(".sh"):
            return ROOT / source
    pytest.fail("service does not mount a script from ./deploy/")


def setup_script(services: dict) -> Path:
    return mounted_script(setup_service(services)[1])


def mount_of(service: dict, source: str) -> str:
    """The container path where `source` (./deploy/...) is mounted."""
    for volume in service.get("volumes") or []:
        parts = volume.split(":") if isinstance(volume, str) else [volume["source"], volume["target"]]
        if parts[0] == source:
            return parts[1]
    pytest.fail(f"{source} is not mounted")


def fake_cli(bindir: Path, name: str, script: str) -> None:
    bindir.mkdir(exist_ok=True)
    path = bindir / name
    path.write_text(script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


# -------------------------------------------------------------------- services


def test_required_services_exist(services):
    missing = REQUIRED_SERVICES - services.keys()
    assert not missing, f"missing services: {sorted(missing)}"


def test_services_use_only_known_keys(services):
    for name, svc in services.items():
        unknown = set(svc) - SERVICE_KEYS
        assert not unknown, f"{name}: unknown keys {sorted(unknown)}"
        if "healthcheck" in svc:
            unknown = set(svc["healthcheck"]) - HEALTHCHECK_KEYS
            assert not unknown, f"{name}: unknown healthcheck keys {sorted(unknown)}"


def test_every_service_has_pinned_image_or_build(services):
    for name, svc in services.items():
        image = svc.get("image")
        if image is None:
            assert svc.get("build"), f"{name}: needs an image or a build"
            continue
        image = with_defaults(image)
        assert "@sha256:" in image or ":" in image.rsplit("/", 1)[-1], f"{name}: image {image!r} has no tag"
        tag = image.rsplit("/", 1)[-1].split(":", 1)[-1]
        assert tag and tag != "latest", f"{name}: image {image!r} must be pinned, not latest"


def test_app_services_are_built_from_this_repo(services):
    for name in APP_SERVICES:
        build = services[name].get("build")
        context = build if isinstance(build, str) else (build or {}).get("context")
        assert context in (".", "./"), f"{name}: must build from the repo root"


def test_depends_on_references_existing_services(services):
    for name, svc in services.items():
        for dep, condition in depends_on(svc).items():
            assert dep in services, f"{name} depends on unknown service {dep!r}"
            assert dep != name
            assert condition in DEPENDS_ON_CONDITIONS, f"{name} -> {dep}: bad condition {condition!r}"
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} healthy, but it has no healthcheck"
            if condition == "service_completed_successfully":
                assert is_one_shot(services[dep]), f"{name} waits for {dep} to complete, but it restarts"
            # a service of the production profile cannot wait for one that only a profile starts
            if not services[name].get("profiles"):
                assert not services[dep].get("profiles"), f"{name} depends on {dep} of a profile"


def test_every_long_running_service_has_a_healthcheck(services):
    for name, svc in services.items():
        if is_one_shot(svc):
            continue
        check = svc.get("healthcheck")
        assert check and not check.get("disable"), f"{name}: a long-running service needs a healthcheck"
        test = check["test"]
        assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name}: {test!r}"
        for key in ("interval", "timeout", "retries"):
            assert key in check, f"{name}: healthcheck without {key}"


def test_healthchecks_probe_the_service_itself(services):
    """Each check asks the service in its own container, on the port it serves."""
    assert "pg_isready" in healthcheck_text(services["temporal-db"])
    assert "pg_isready" in healthcheck_text(services["app-db"])
    assert healthcheck_text(services["temporal"]) == "CMD nc -z 127.0.0.1 7233"
    assert "http://127.0.0.1:8080/healthz" in healthcheck_text(services["temporal-ui"])
    assert "http://127.0.0.1:8000/healthz" in healthcheck_text(services["api"])
    assert "http://127.0.0.1:8080/proxy-healthz" in healthcheck_text(services["proxy"])
    metrics_port = env_of(services["worker"])["WORKER_METRICS_ADDRESS"].rpartition(":")[2]
    for name in ("worker", "catalog-worker"):
        assert f"http://127.0.0.1:{metrics_port}/metrics" in healthcheck_text(services[name])


def test_only_the_api_is_published_beyond_loopback(services):
    """Nothing but the API's door (the proxy) on a public interface; the rest on 127.0.0.1 or
    not published at all."""
    public = []
    for name, svc in services.items():
        assert svc.get("network_mode") != "host", f"{name}: host networking publishes every port"
        for host_ip, published, target in published_ports(svc):
            if host_ip in LOOPBACK or (host_ip and ipaddress.ip_address(host_ip).is_loopback):
                continue
            public.append((name, published, target))
    assert public == [("proxy", "8000", "8080")]
    for name in ("temporal-db", "app-db", "api", "worker", "catalog-worker", "migrate", "temporal-schema"):
        assert not services[name].get("ports"), f"{name} publishes a port"


def test_temporal_frontend_and_ui_only_on_loopback(services):
    assert published_ports(services["temporal"]) == [("127.0.0.1", "7233", "7233")]
    assert published_ports(services["temporal-ui"]) == [("127.0.0.1", "8233", "8080")]


def test_the_proxy_forwards_to_the_api(services):
    proxy, api = services["proxy"], services["api"]
    env = env_of(proxy)
    host, _, port = env["API_UPSTREAM"].partition(":")
    assert host == "api" and f"--port {port}" in command_text(api)
    assert env["PROXY_RESOLVER"] == "127.0.0.11", "Docker's embedded DNS, so scaled API containers are found"
    assert mount_of(proxy, "./deploy/proxy.conf.template") == "/etc/nginx/templates/default.conf.template"
    assert image_tag(proxy)[0] == "nginx"
    assert depends_on(proxy) == {"api": "service_healthy"}


def test_api_runs_one_process_per_container_behind_the_proxy(services):
    svc = services["api"]
    cmd = command_text(svc)
    assert cmd.startswith("uvicorn api.app:app") and "--host 0.0.0.0" in cmd and "--port 8000" in cmd
    # metrics per process would be scraped from whichever process answered
    assert "--workers" not in cmd
    assert int(svc["deploy"]["replicas"]) >= 2 and "container_name" not in svc
    # the client's address comes from the proxy (sign-in throttling counts per client)
    assert "--proxy-headers" in cmd and "--forwarded-allow-ips *" in cmd


# -------------------------------------------------------------------- databases


def test_named_volumes_are_declared(compose, services):
    declared = set((compose.get("volumes") or {}).keys())
    for name, svc in services.items():
        for volume in svc.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source!r} not declared at top level"
            if source.startswith("./"):
                assert (ROOT / source).is_file(), f"{name}: mounts {source}, which does not exist"


@pytest.mark.parametrize(("db", "user"), [("temporal-db", "temporal"), ("app-db", "order2cash")])
def test_databases_are_postgres_with_volume_and_healthcheck(services, db, user):
    svc = services[db]
    assert svc["image"].startswith("postgres:15")
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in svc.get("volumes", [])), f"{db}: no data volume"
    test = healthcheck_text(svc)
    assert "pg_isready" in test and f"-U {user}" in test
    assert env_of(svc)["POSTGRES_USER"] == user


# -------------------------------------------------------------------- temporal


def test_temporal_images_are_the_maintained_ones(services):
    """temporalio/server with a schema job of admin-tools, not the deprecated auto-setup; the
    schema job, the setup job and the server of one version."""
    for name, svc in services.items():
        assert "auto-setup" not in svc.get("image", ""), f"{name}: temporalio/auto-setup is deprecated"
    server, version = image_tag(services["temporal"])
    assert server == "temporalio/server"
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert tuple(int(x) for x in version.split(".")) >= (1, 32, 0)
    for job in ("temporal-schema", "temporal-setup"):
        assert image_tag(services[job]) == ("temporalio/admin-tools", version), f"{job}: not the server's version"
    # one variable moves them together (upgrades go one minor version at a time)
    assert services["temporal"]["image"].split(":", 1)[1] == services["temporal-schema"]["image"].split(":", 1)[1]
    assert image_tag(services["temporal-ui"])[0] == "temporalio/ui"


def test_temporal_runs_on_postgres(services):
    svc = services["temporal"]
    env = env_of(svc)
    assert env["DB"] == "postgres12"
    assert env["DB_PORT"] == "5432"
    assert env["POSTGRES_SEEDS"] == "temporal-db"
    db_env = env_of(services["temporal-db"])
    assert env["POSTGRES_USER"] == db_env["POSTGRES_USER"]
    assert env["POSTGRES_PWD"] == db_env["POSTGRES_PASSWORD"]
    assert env["BIND_ON_IP"] == "0.0.0.0"
    # the shard count cannot change once the cluster exists: what the auto-setup deployment used
    assert env["NUM_HISTORY_SHARDS"] == "4"
    assert depends_on(svc) == {"temporal-db": "service_healthy", "temporal-schema": "service_completed_successfully"}


def test_temporal_reads_the_dynamic_config_it_is_given(services):
    svc = services["temporal"]
    target = mount_of(svc, "./deploy/temporal-dynamicconfig.yaml")
    assert env_of(svc)["DYNAMIC_CONFIG_FILE_PATH"] == target
    config = yaml.safe_load((ROOT / "deploy" / "temporal-dynamicconfig.yaml").read_text())
    assert isinstance(config, dict) and config
    for key, values in config.items():
        assert isinstance(values, list) and all("value" in v for v in values), key
    assert config["frontend.enableUpdateWorkflowExecution"] == [{"value": True}]


def test_schema_job_runs_before_the_server(services):
    svc = services["temporal-schema"]
    assert is_one_shot(svc)
    assert depends_on(svc) == {"temporal-db": "service_healthy"}
    # the same database settings as the server's
    server_env = env_of(services["temporal"])
    for key, value in env_of(svc).items():
        assert server_env[key] == value, key
    script = mounted_script(svc)
    entrypoint = svc.get("entrypoint") or svc.get("command")
    assert script.name in " ".join(entrypoint)
    assert depends_on(services["temporal"])["temporal-schema"] == "service_completed_successfully"


FAKE_SQL_TOOL = r"""#!/bin/sh
# Fake temporal-sql-tool: logs its argv (and whether it got the password); the database named
# like the user "already exists", as the PostgreSQL image creates it.
echo "$* pw=$SQL_PASSWORD" >> "$FAKE_LOG"
case "$*" in
  *"--db temporal create"*) echo 'pq: database "temporal" already exists' >&2; exit 1 ;;
  *"--db temporal_visibility create"*) [ -n "$FAIL_CREATE" ] && { echo "connection refused" >&2; exit 1; } ;;
esac
exit 0
"""


def run_schema_script(services, tmp_path: Path, **extra: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    bindir = tmp_path / "bin"
    fake_cli(bindir, "temporal-sql-tool", FAKE_SQL_TOOL)
    log = tmp_path / "sql.log"
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "FAKE_LOG": str(log), "FAIL_CREATE": ""}
    env |= env_of(services["temporal-schema"]) | extra
    script = mounted_script(services["temporal-schema"])
    proc = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=60)
    return proc, log.read_text().splitlines() if log.exists() else []


def test_schema_script_creates_and_upgrades_both_stores(services, tmp_path):
    proc, calls = run_schema_script(services, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    base = "--plugin postgres12 --ep temporal-db -p 5432 -u temporal"
    root = "/etc/temporal/schema/postgresql/v12"
    assert calls == [
        f"{base} --db temporal create pw=temporal",
        f"{base} --db temporal setup-schema -v 0.0 pw=temporal",
        f"{base} --db temporal update-schema -d {root}/temporal/versioned pw=temporal",
        f"{base} --db temporal_visibility create pw=temporal",
        f"{base} --db temporal_visibility setup-schema -v 0.0 pw=temporal",
        f"{base} --db temporal_visibility update-schema -d {root}/visibility/versioned pw=temporal",
    ]
    assert "database temporal exists" in proc.stdout  # tolerated: the next `up` finds both
    assert "created database temporal_visibility" in proc.stdout


def test_schema_script_stops_when_a_database_cannot_be_created(services, tmp_path):
    proc, calls = run_schema_script(services, tmp_path, FAIL_CREATE="1")
    assert proc.returncode == 1
    assert "cannot create database temporal_visibility: connection refused" in proc.stdout
    assert not any("temporal_visibility setup-schema" in c for c in calls)


def test_temporal_ui_is_local_and_read_only(services):
    svc = services["temporal-ui"]
    env = env_of(svc)
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    # whoever reaches the UI acts without signing in: write actions only when asked for
    assert with_defaults(env["TEMPORAL_DISABLE_WRITE_ACTIONS"]) == "true"
    assert depends_on(svc) == {"temporal": "service_healthy"}


def test_search_attribute_setup_service(services):
    name, svc = setup_service(services)
    assert is_one_shot(svc), "one-shot setup must not restart forever"
    assert depends_on(svc) == {"temporal": "service_healthy"}
    env = env_of(svc)
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    script = setup_script(services)
    assert script.is_file(), f"{script} missing"
    entrypoint = svc.get("entrypoint") or svc.get("command")
    entrypoint = " ".join(entrypoint) if isinstance(entrypoint, list) else entrypoint
    assert script.name in entrypoint
    # The app must not start before the attributes it upserts exist.
    for app in ("api", "worker", "catalog-worker"):
        assert depends_on(services[app]).get(name) == "service_completed_successfully"


def test_search_attribute_script_names_all_attributes(services):
    text = setup_script(services).read_text()
    declared = dict(re.findall(r"^\s*(\w+):(Keyword|Double|Int|Bool|Datetime|Text|KeywordList)\s*$", text, re.M))
    assert declared == SEARCH_ATTRIBUTES
    assert declared["NeedsAttention"] == "Bool"
    assert "temporal operator search-attribute create" in text
    assert "already exists" in text


FAKE_TEMPORAL = r"""#!/bin/sh
# Fake `temporal` CLI: logs its argv; OrderId "already exists" on the server.
echo "$*" >> "$FAKE_LOG"
case "$*" in
  *"search-attribute create"*"--name OrderId "*)
    echo "Error: unable to add search attributes: search attribute OrderId already exists" >&2
    exit 1 ;;
esac
exit 0
"""

# a server that refuses the retention (as Temporal answers below one hour)
FAKE_TEMPORAL_REFUSING_RETENTION = r"""#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$*" in
  *"namespace update"*)
    echo "Error: namespace update failed: A valid retention period is not set on request." >&2
    exit 1 ;;
esac
exit 0
"""


def run_setup_script(
    services, tmp_path: Path, fake: str = FAKE_TEMPORAL, retention: str | None = None
) -> tuple[subprocess.CompletedProcess, list[str]]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake_cli = bindir / "temporal"
    fake_cli.write_text(fake)
    fake_cli.chmod(fake_cli.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls.log"
    env = {
        "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "FAKE_LOG": str(log),
        "TEMPORAL_ADDRESS": "temporal:7233",
        "TEMPORAL_NAMESPACE": "default",
        "SETUP_TIMEOUT": "2",
        "RETRY_INTERVAL": "1",
    }
    if retention is not None:
        env["TEMPORAL_RETENTION"] = retention
    proc = subprocess.run(["sh", str(setup_script(services))], env=env, capture_output=True, text=True, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return proc, calls


def test_search_attribute_script_registers_all_and_is_idempotent(services, tmp_path):
    proc, calls = run_setup_script(services, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    creates = [c for c in calls if c.startswith("operator search-attribute create")]
    registered = {}
    for call in creates:
        args = call.split()
        registered[args[args.index("--name") + 1]] = args[args.index("--type") + 1]
        assert "--namespace default" in call and "--address temporal:7233" in call
    assert registered == SEARCH_ATTRIBUTES
    assert "OrderId already exists" in proc.stdout
    # it waited for the server and the namespace before registering
    assert calls[0].startswith("operator cluster health")
    assert any(c.startswith("operator namespace describe") for c in calls[: calls.index(creates[0])])


def retention_calls(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("operator namespace update")]


def test_setup_script_sets_the_retention_before_registering(services, tmp_path):
    proc, calls = run_setup_script(services, tmp_path)  # TEMPORAL_RETENTION unset: the script's default
    assert proc.returncode == 0, proc.stdout + proc.stderr
    updates = retention_calls(calls)
    assert updates == ["operator namespace update --namespace default --retention 720h --address temporal:7233"]
    describe = next(i for i, c in enumerate(calls) if c.startswith("operator namespace describe"))
    first_create = next(i for i, c in enumerate(calls) if "search-attribute create" in c)
    assert describe < calls.index(updates[0]) < first_create
    assert "retention of namespace default: 720h" in proc.stdout


@pytest.mark.parametrize(
    ("setting", "cli"),
    [
        ("P30D", "720h"),  # ISO 8601, as the app's settings take it
        ("P90D", "2160h"),
        ("P1W", "168h"),
        ("P1DT12H", "36h"),
        ("PT90M", "5400s"),
        ("PT1H30M", "5400s"),
        ("P007D", "168h"),
        ("2592000", "720h"),  # seconds, as the app's settings take them
        ("5400", "5400s"),
        ("720h", "720h"),  # the temporal CLI's own form passes through
    ],
)
def test_setup_script_takes_the_retention_as_the_settings_spell_it(services, tmp_path, setting, cli):
    proc, calls = run_setup_script(services, tmp_path, retention=setting)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (update,) = retention_calls(calls)
    args = update.split()
    assert args[args.index("--retention") + 1] == cli


@pytest.mark.parametrize("setting", ["P1M", "P1Y", "P", "PT", "P1DT", "P1.5D", "P1H", "PT1D", "soon"])
def test_setup_script_refuses_a_retention_it_cannot_read(services, tmp_path, setting):
    proc, calls = run_setup_script(services, tmp_path, retention=setting)
    if setting == "soon":  # not ISO 8601 nor seconds: handed to the CLI, which refuses it (not faked here)
        (update,) = retention_calls(calls)
        assert "--retention soon" in update
        return
    assert proc.returncode == 2
    assert "TEMPORAL_RETENTION" in proc.stdout
    assert calls == [], "nothing is called before the retention is understood"


def test_setup_script_stops_when_temporal_refuses_the_retention(services, tmp_path):
    proc, calls = run_setup_script(services, tmp_path, fake=FAKE_TEMPORAL_REFUSING_RETENTION, retention="PT30M")
    assert proc.returncode == 1
    assert "refuses the retention 1800s" in proc.stdout
    assert len(retention_calls(calls)) == 1, "a refusal is final: no retries"
    assert not any("search-attribute create" in c for c in calls)


def test_compose_sets_the_retention_as_the_apps_settings_read_it(services):
    _, svc = setup_service(services)
    value = env_of(svc)["TEMPORAL_RETENTION"]
    match = re.fullmatch(r"\$\{TEMPORAL_RETENTION:-([^}]+)\}", value)
    assert match, f"TEMPORAL_RETENTION={value!r}: an override with a default, e.g. ${{TEMPORAL_RETENTION:-P30D}}"
    default = match.group(1)
    # the same value means the same in the app's settings (a shared .env must not break `make run`)
    assert Settings(temporal_retention=default).temporal_retention == Settings().temporal_retention


def test_search_attribute_script_fails_when_temporal_never_comes_up(services, tmp_path):
    proc, calls = run_setup_script(services, tmp_path, fake='#!/bin/sh\necho "$*" >> "$FAKE_LOG"\nexit 1\n')
    assert proc.returncode != 0
    assert not any("search-attribute create" in c for c in calls)


# a server without the namespace yet (a fresh temporalio/server creates none of ours)
FAKE_TEMPORAL_WITHOUT_NAMESPACE = r"""#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$*" in
  *"namespace describe"*) [ -e "$FAKE_LOG.created" ] || exit 1 ;;
  *"namespace create"*) touch "$FAKE_LOG.created" ;;
esac
exit 0
"""


def test_setup_script_creates_the_namespace_when_it_is_missing(services, tmp_path):
    proc, calls = run_setup_script(services, tmp_path, fake=FAKE_TEMPORAL_WITHOUT_NAMESPACE, retention="P90D")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    creates = [c for c in calls if c.startswith("operator namespace create")]
    assert creates == ["operator namespace create --namespace default --retention 2160h --address temporal:7233"]
    first_describe = next(i for i, c in enumerate(calls) if c.startswith("operator namespace describe"))
    assert first_describe < calls.index(creates[0])
    assert "created namespace default" in proc.stdout
    assert any("search-attribute create" in c for c in calls[calls.index(creates[0]) :])


async def test_setup_script_prepares_a_fresh_namespace_on_a_real_temporal(services, dev_env, tmp_path):
    """The script with the real `temporal` CLI against a real server (the tests' dev server), on a
    namespace that does not exist yet, as on a fresh temporalio/server: it creates it with the
    retention and registers every search attribute there; run twice, it changes nothing."""
    namespace = f"setup-{uuid.uuid4().hex[:8]}"
    address = dev_env.client.service_client.config.target_host
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "temporal").symlink_to(executable("temporal"))
    env = {
        "PATH": f"{bindir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": namespace,
        "TEMPORAL_RETENTION": "P2D",
        "SETUP_TIMEOUT": "60",
        "RETRY_INTERVAL": "1",
    }
    script = ["sh", str(setup_script(services))]
    for run in ("first", "again"):
        proc = await asyncio.to_thread(subprocess.run, script, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{run}: {proc.stdout}{proc.stderr}"
        assert ("created namespace" in proc.stdout) == (run == "first")

    described = await dev_env.client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
    assert described.config.workflow_execution_retention_ttl.ToTimedelta() == timedelta(days=2)
    listed = await dev_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert {name: INDEXED_VALUE_TYPE_CLI[kind] for name, kind in listed.custom_attributes.items()} == SEARCH_ATTRIBUTES


# ----------------------------------------------------------------- app services


def test_app_services_share_identical_environment(services):
    envs = {name: env_of(services[name]) for name in APP_SERVICES}
    first = envs["api"]
    assert all(env == first for env in envs.values())


def test_app_environment_points_at_the_right_services(services):
    env = env_of(services["api"])

    host, _, port = env["TEMPORAL_ADDRESS"].partition(":")
    assert host == "temporal" and host in services
    assert port == "7233"
    assert env["TEMPORAL_NAMESPACE"] == "default"
    assert env["TEMPORAL_TASK_QUEUE"] == "order2cash"

    url = urlsplit(env["DATABASE_URL"])
    assert url.scheme.split("+")[0] == "postgresql"
    assert url.hostname == "app-db" and url.hostname in services
    assert (url.port or 5432) == 5432
    db_env = env_of(services["app-db"])
    assert url.username == db_env["POSTGRES_USER"]
    assert url.password == db_env["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == db_env["POSTGRES_DB"]


def test_app_settings_in_compose_are_settings_the_app_reads(services):
    known = {name.upper() for name in Settings.model_fields}
    for key in env_of(services["api"]):
        assert key in known, f"{key} is not a setting of core/settings.py"


def test_jwt_secret_is_required_not_hardcoded(services):
    env = env_of(services["api"])
    assert env["JWT_SECRET"].startswith("${JWT_SECRET:?"), "JWT_SECRET must fail fast when unset"
    assert env["PUBLIC_URL"].startswith("${PUBLIC_URL:?"), "invitation links must not come from a Host header"


def test_workers_serve_their_metrics_inside_the_network_only(services):
    address = env_of(services["worker"])["WORKER_METRICS_ADDRESS"]
    host, _, port = address.rpartition(":")
    assert host == "0.0.0.0" and port.isdigit()  # reachable by Prometheus in the network...
    for name in ("worker", "catalog-worker"):
        assert not services[name].get("ports")  # ...and published nowhere
    assert Settings(worker_metrics_address=address).worker_metrics_address == address


@pytest.mark.parametrize("setting", TIMEOUT_SETTINGS)
def test_timeouts_are_iso8601_durations(services, setting):
    value = env_of(services["worker"])[setting]
    assert value and value.startswith("P"), f"{setting}={value!r} is not ISO 8601"
    parsed = TypeAdapter(timedelta).validate_python(value)
    assert parsed > timedelta(0)


def test_approval_escalation_is_ordered(services):
    env = env_of(services["worker"])
    ta = TypeAdapter(timedelta)
    reminder, escalation, timeout = (
        ta.validate_python(env[k]) for k in ("APPROVAL_REMINDER_AFTER", "APPROVAL_ESCALATION_AFTER", "APPROVAL_TIMEOUT")
    )
    assert reminder < escalation < timeout
    accept, ship, deliver = (
        ta.validate_python(env[k])
        for k in ("PARTNER_ACCEPT_TIMEOUT", "PARTNER_SHIP_TIMEOUT", "PARTNER_DELIVER_TIMEOUT")
    )
    assert accept < ship < deliver


# ------------------------------------------------------------------------ demo


def runs_the_demo_seed(service: dict) -> bool:
    entry = service.get("entrypoint") or ""
    return "seed-demo" in command_text(service) + " ".join(entry if isinstance(entry, list) else [entry])


def test_no_demo_data_without_the_demo_profile(services):
    """The production profile (no --profile) never seeds; only the `demo` profile does."""
    seeders = [name for name, svc in services.items() if runs_the_demo_seed(svc)]
    assert seeders == ["demo-seed"]
    svc = services["demo-seed"]
    assert svc["profiles"] == ["demo"]
    assert command_text(svc) == "order2cash seed-demo"
    assert is_one_shot(svc)
    assert depends_on(svc) == {"migrate": "service_completed_successfully"}
    for name, other in services.items():
        assert "demo-seed" not in depends_on(other), f"{name} would start the demo seed"
    assert "DEMO_DATA" not in env_of(services["api"]), "no switch that seeds production data"


def test_migrate_is_one_shot_and_only_migrates(services):
    svc = services["migrate"]
    assert is_one_shot(svc)
    assert command_text(svc) == "order2cash migrate"
    assert depends_on(svc) == {"app-db": "service_healthy"}


@pytest.mark.parametrize("name", ["api", "worker", "catalog-worker"])
def test_api_and_worker_wait_for_migrations_and_temporal(services, name):
    deps = depends_on(services[name])
    assert deps.get("migrate") == "service_completed_successfully"
    assert deps.get("temporal") == "service_healthy"


def test_worker_scales_horizontally(services):
    svc = services["worker"]
    assert int(svc["deploy"]["replicas"]) >= 2
    assert "container_name" not in svc
    assert not svc.get("ports"), "scaled workers cannot publish host ports"
    cmd = command_text(svc)
    assert cmd in ("python worker.py --queue orders", "order2cash worker --queue orders")


def test_workers_get_time_to_finish_their_activities(services):
    grace = Settings().worker_shutdown_grace
    for name in ("worker", "catalog-worker"):
        stop = TypeAdapter(timedelta).validate_python("PT" + services[name]["stop_grace_period"].upper())
        assert stop > grace, f"{name}: compose kills the worker before WORKER_SHUTDOWN_GRACE is over"


def test_catalog_work_has_its_own_worker(services):
    """Catalog publications and syncs run on their own task queue, served by their own workers."""
    svc = services["catalog-worker"]
    assert command_text(svc) in ("python worker.py --queue catalog", "order2cash worker --queue catalog")
    assert "container_name" not in svc and not svc.get("ports")
    env = env_of(svc)
    assert env["TEMPORAL_CATALOG_TASK_QUEUE"] != env["TEMPORAL_TASK_QUEUE"]


def test_no_app_service_pins_a_container_name(services):
    for name in APP_SERVICES:
        assert "container_name" not in services[name]


# ------------------------------------------------------------------ monitoring


def test_prometheus_is_opt_in_local_and_scrapes_api_and_workers(services):
    svc = services["prometheus"]
    assert svc["profiles"] == ["monitoring"]
    assert all(host_ip in LOOPBACK for host_ip, _, _ in published_ports(svc))
    assert mount_of(svc, "./deploy/prometheus.yml") == "/etc/prometheus/prometheus.yml"
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    targets = {}
    for job in config["scrape_configs"]:
        for sd in job["dns_sd_configs"]:
            for name in sd["names"]:
                targets[name] = (sd["port"], job.get("metrics_path", "/metrics"))
    worker_port = int(env_of(services["worker"])["WORKER_METRICS_ADDRESS"].rpartition(":")[2])
    assert targets == {
        "api": (8000, "/metrics"),
        "worker": (worker_port, "/metrics"),
        "catalog-worker": (worker_port, "/metrics"),
    }


# ----------------------------------------------------------------------- proxy


def test_proxy_template_hides_metrics_and_sets_the_client_address():
    text = PROXY_TEMPLATE.read_text()
    assert set(re.findall(r"\$\{(\w+)\}", text)) == {"API_UPSTREAM", "PROXY_RESOLVER", "PROXY_MAX_BODY"}
    assert re.search(r"location ~ \^/metrics\(/\|\$\) \{\s*return 404;", text)
    # replaced, not appended to ($proxy_add_x_forwarded_for would keep what the client sent first)
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "proxy_add_x_forwarded_for" not in text


def render_proxy_config(tmp_path: Path, upstream: str, port: int, max_body: str) -> Path:
    """The template as the nginx image renders it (envsubst of the variables it is given), in a
    main configuration of its own (the image's nginx.conf includes conf.d/*.conf in `http`)."""
    values = {"API_UPSTREAM": upstream, "PROXY_RESOLVER": "127.0.0.1", "PROXY_MAX_BODY": max_body}
    server = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], PROXY_TEMPLATE.read_text())
    server = server.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / sub).mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log stderr warn;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/client_body;\n"
        f" proxy_temp_path {tmp_path}/proxy;\n fastcgi_temp_path {tmp_path}/fastcgi;\n"
        f" uwsgi_temp_path {tmp_path}/uwsgi;\n scgi_temp_path {tmp_path}/scgi;\n{server}\n}}\n"
    )
    return conf


class EchoHandler(http.server.BaseHTTPRequestHandler):
    """The API's stand-in: answers every request with what reached it."""

    seen: list[str]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append(self.path)
        payload = json.dumps(
            {
                "path": self.path,
                "x_forwarded_for": self.headers.get("X-Forwarded-For"),
                "x_forwarded_proto": self.headers.get("X-Forwarded-Proto"),
                "host": self.headers.get("Host"),
                "body_length": len(body),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def proxy(tmp_path) -> Iterator[tuple[str, list[str]]]:
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    seen: list[str] = []
    handler = type("Handler", (EchoHandler,), {"seen": seen})
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    conf = render_proxy_config(tmp_path, f"127.0.0.1:{upstream.server_address[1]}", port, "1k")
    check = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    server = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # until it listens (it answers its own health check)
            try:
                urllib.request.urlopen(f"{base}/proxy-healthz", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"nginx did not start: {server.stderr.read() if server.stderr else ''}")
                threading.Event().wait(0.05)
        yield base, seen
    finally:
        server.terminate()
        server.wait(timeout=10)
        upstream.shutdown()
        upstream.server_close()


def fetch(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_proxy_passes_requests_on_with_the_clients_address(proxy):
    base, seen = proxy
    status, body = fetch(f"{base}/api/v1/orders?limit=5", headers={"X-Forwarded-For": "6.6.6.6"})
    assert status == 200
    echoed = json.loads(body)
    assert echoed["path"] == "/api/v1/orders?limit=5"
    assert echoed["x_forwarded_for"] == "127.0.0.1", "the client's own X-Forwarded-For is replaced"
    assert echoed["x_forwarded_proto"] == "http"
    assert echoed["host"] == base.removeprefix("http://")
    # a TLS-terminating balancer's X-Forwarded-Proto is kept (the session cookie's Secure flag)
    status, body = fetch(f"{base}/", headers={"X-Forwarded-Proto": "https"})
    assert json.loads(body)["x_forwarded_proto"] == "https"
    assert seen == ["/api/v1/orders?limit=5", "/"]


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/metrics?format=json", "/%6Detrics", "//metrics"])
def test_proxy_does_not_publish_the_metrics(proxy, path):
    base, seen = proxy
    status, _ = fetch(base + path)
    assert status == 404
    assert seen == [], "the API was not asked"


def test_proxy_refuses_bodies_over_its_limit(proxy):
    base, seen = proxy
    status, body = fetch(f"{base}/api/v1/orders", data=b"x" * 1000, headers={"Content-Type": "text/plain"})
    assert status == 200 and json.loads(body)["body_length"] == 1000
    status, _ = fetch(f"{base}/api/v1/orders", data=b"x" * 2048, headers={"Content-Type": "text/plain"})
    assert status == 413
    assert seen == ["/api/v1/orders"]


# -------------------------------------------------------------- docker compose


def docker_compose_works() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not docker_compose_works(), reason="no docker CLI with the compose plugin")
@pytest.mark.parametrize("profiles", [[], ["demo", "monitoring"]])
def test_docker_compose_accepts_the_file(profiles):
    args = [arg for profile in profiles for arg in ("--profile", profile)]
    env = {**os.environ, "JWT_SECRET": "x" * 32, "PUBLIC_URL": "https://orders.example.com"}
    proc = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), *args, "config", "--format", "json"],
        env=env, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    resolved = json.loads(proc.stdout)["services"]
    assert ("demo-seed" in resolved) == ("demo" in profiles)
    assert resolved["temporal"]["image"] == with_defaults(load_compose()["services"]["temporal"]["image"])
    for name, svc in resolved.items():
        for port in svc.get("ports") or []:
            assert port.get("host_ip") in LOOPBACK or name == "proxy", f"{name} publishes {port}"


# ------------------------------------------------------------------ Dockerfile


def test_dockerfile_builds_and_installs_the_project():
    assert DOCKERFILE.is_file()
    text = DOCKERFILE.read_text()
    instructions = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert instructions[0] == "FROM python:3.11-slim"
    assert any(line.startswith("COPY . ") for line in instructions)
    assert re.search(r"pip install --no-cache-dir (--no-deps )?\.(\s|$)", text), "project must be pip-installed"
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), "image must run as a non-root user"
    cmd = next(line for line in reversed(instructions) if line.startswith("CMD"))
    assert "uvicorn" in cmd and "api.app:app" in cmd


def test_dockerignore_excludes_local_state():
    entries = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    for required in (".venv", ".data", ".git", ".env", ".pytest_cache"):
        assert required in entries, f".dockerignore must exclude {required}"
    # Files the image needs must not be excluded.
    for needed in ("pyproject.toml", "api", "cli", "core", "migrations", "worker.py"):
        assert needed not in entries
