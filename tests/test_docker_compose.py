"""Static checks of the production deployment (docker-compose.yml, Dockerfile,
deploy/).  There is no Docker engine in CI, so the compose file is parsed and
its wiring asserted here; the search-attribute script is run against a fake
`temporal` CLI."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import TypeAdapter

from cli.dev import CLI_TYPES
from core import temporal_names as names
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

REQUIRED_SERVICES = {"temporal-db", "temporal", "temporal-ui", "app-db", "api", "worker", "catalog-worker", "migrate"}
APP_SERVICES = ("api", "worker", "catalog-worker", "migrate")
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
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


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


def published_ports(service: dict) -> list[tuple[str, str]]:
    """(published, target) pairs from short ("[ip:]host:container") or long syntax."""
    pairs = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            pairs.append((str(port.get("published", "")), str(port["target"])))
            continue
        parts = str(port).split("/")[0].split(":")
        if len(parts) == 1:
            pairs.append(("", parts[0]))
        else:
            pairs.append((parts[-2], parts[-1]))
    return pairs


def command_text(service: dict) -> str:
    cmd = service.get("command") or ""
    return " ".join(cmd) if isinstance(cmd, list) else str(cmd)


def setup_service(services: dict) -> tuple[str, dict]:
    matches = [
        (name, svc) for name, svc in services.items() if str(svc.get("image", "")).startswith("temporalio/admin-tools:")
    ]
    assert len(matches) == 1, "expected exactly one temporalio/admin-tools setup service"
    return matches[0]


def setup_script(services: dict) -> Path:
    _, svc = setup_service(services)
    for volume in svc.get("volumes") or []:
        source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
        if source.startswith("./deploy/"):
            return ROOT / source
    pytest.fail("setup service does not mount a script from ./deploy/")


# -------------------------------------------------------------------- services


def test_required_services_exist(services):
    missing = REQUIRED_SERVICES - services.keys()
    assert not missing, f"missing services: {sorted(missing)}"


def test_every_service_has_pinned_image_or_build(services):
    for name, svc in services.items():
        image = svc.get("image")
        if image is None:
            assert svc.get("build"), f"{name}: needs an image or a build"
            continue
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


def test_named_volumes_are_declared(compose, services):
    declared = set((compose.get("volumes") or {}).keys())
    for name, svc in services.items():
        for volume in svc.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source!r} not declared at top level"


@pytest.mark.parametrize(("db", "user"), [("temporal-db", "temporal"), ("app-db", "order2cash")])
def test_databases_are_postgres_with_volume_and_healthcheck(services, db, user):
    svc = services[db]
    assert svc["image"].startswith("postgres:15")
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in svc.get("volumes", [])), f"{db}: no data volume"
    test = svc["healthcheck"]["test"]
    test = " ".join(test) if isinstance(test, list) else test
    assert "pg_isready" in test and f"-U {user}" in test
    assert env_of(svc)["POSTGRES_USER"] == user


# -------------------------------------------------------------------- temporal


def test_temporal_runs_on_postgres(services):
    svc = services["temporal"]
    assert svc["image"].startswith("temporalio/auto-setup:")
    env = env_of(svc)
    assert env["DB"] == "postgres12"
    assert env["DB_PORT"] == "5432"
    assert env["POSTGRES_SEEDS"] == "temporal-db"
    db_env = env_of(services["temporal-db"])
    assert env["POSTGRES_USER"] == db_env["POSTGRES_USER"]
    assert env["POSTGRES_PWD"] == db_env["POSTGRES_PASSWORD"]
    assert depends_on(svc) == {"temporal-db": "service_healthy"}


def test_temporal_ui(services):
    svc = services["temporal-ui"]
    assert svc["image"].startswith("temporalio/ui:")
    assert env_of(svc)["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert ("8233", "8080") in published_ports(svc)
    assert "temporal" in depends_on(svc)


def test_search_attribute_setup_service(services):
    name, svc = setup_service(services)
    assert svc.get("restart", "no") == "no", "one-shot setup must not restart forever"
    assert "temporal" in depends_on(svc)
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


# ----------------------------------------------------------------- app services


def test_app_services_share_identical_environment(services):
    envs = {name: env_of(services[name]) for name in APP_SERVICES}
    assert envs["api"] == envs["worker"] == envs["catalog-worker"] == envs["migrate"]


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


def test_jwt_secret_is_required_not_hardcoded(services):
    env = env_of(services["api"])
    assert env["JWT_SECRET"].startswith("${JWT_SECRET:?"), "JWT_SECRET must fail fast when unset"


def test_demo_data_defaults_off(services):
    assert env_of(services["api"])["DEMO_DATA"] == "${DEMO_DATA:-false}"


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


def test_migrate_is_one_shot_and_seeds_only_on_demand(services):
    svc = services["migrate"]
    assert svc.get("restart", "no") == "no"
    cmd = command_text(svc)
    assert "order2cash migrate" in cmd
    assert "order2cash seed-demo" in cmd
    assert cmd.index("order2cash migrate") < cmd.index("order2cash seed-demo")
    assert "DEMO_DATA" in cmd
    # `$$` so compose leaves the variable to the container's shell.
    assert "$DEMO_DATA" not in cmd.replace("$$DEMO_DATA", "")
    assert depends_on(svc).get("app-db") == "service_healthy"


def test_migrate_command_seeds_only_when_demo_data_true(services, tmp_path):
    cmd = services["migrate"]["command"]
    assert cmd[:2] == ["sh", "-c"]
    script = cmd[2].replace("$$", "$")  # what compose hands to the container
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "order2cash"
    fake.write_text('#!/bin/sh\necho "$*" >> "$FAKE_LOG"\n')
    fake.chmod(0o755)
    for demo, expected in (("true", ["migrate", "seed-demo"]), ("false", ["migrate"])):
        log = tmp_path / f"calls-{demo}.log"
        env = {"PATH": f"{bindir}:/usr/bin:/bin", "FAKE_LOG": str(log), "DEMO_DATA": demo}
        subprocess.run(["sh", "-c", script], env=env, check=True, timeout=30)
        assert log.read_text().split() == expected


@pytest.mark.parametrize("name", ["api", "worker", "catalog-worker"])
def test_api_and_worker_wait_for_migrations_and_temporal(services, name):
    deps = depends_on(services[name])
    assert deps.get("migrate") == "service_completed_successfully"
    assert "temporal" in deps


def test_api_publishes_8000(services):
    svc = services["api"]
    assert ("8000", "8000") in published_ports(svc)
    cmd = command_text(svc)
    assert ("uvicorn api.app:app" in cmd and "--port 8000" in cmd and "0.0.0.0" in cmd) or "order2cash api" in cmd


def test_worker_scales_horizontally(services):
    svc = services["worker"]
    assert int(svc["deploy"]["replicas"]) >= 2
    assert "container_name" not in svc
    assert not svc.get("ports"), "scaled workers cannot publish host ports"
    cmd = command_text(svc)
    assert cmd in ("python worker.py --queue orders", "order2cash worker --queue orders")


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
