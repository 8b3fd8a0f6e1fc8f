"""The operator CLI (issue 16, item 7): one clear line and a non-zero exit for every mistake, never a
traceback; the default data directory; `--config` anywhere; platforms update/suspend/resume/remove
by id or name; tables and --json; help on every command and option; a fast `--help`.

Each command runs as the operator runs it, `python -m hub ...` in its own process (the CLI sets up
logging for the whole process; in-process runs would leave it bound to a closed capture stream).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.cli import _fail
from hub.cli.config import derived_public_url, load
from hub.cli.parser import build_parser
from tests.helpers import PROJECT_ROOT, TEST_SECRET

Run = Callable[..., tuple[int, str, str]]


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HUB_") and k != "XDG_DATA_HOME"}


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite database per module; each test gets a copy (a copy costs a millisecond)."""
    path = tmp_path_factory.mktemp("template") / "hub.db"
    env = _clean_env() | {"HUB_DATABASE_URL": f"sqlite+aiosqlite:///{path}", "HUB_SECRET_KEY": TEST_SECRET}
    done = subprocess.run(
        [sys.executable, "-m", "hub", "db", "upgrade"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No inherited HUB_* settings, the data directory in tmp_path (the commands inherit this environment)."""
    for key in list(os.environ):
        if key.startswith("HUB_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HUB_SECRET_KEY", TEST_SECRET)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def db_path(env: Path, migrated_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = env / "hub.db"
    shutil.copy(migrated_template, path)
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def run() -> Run:
    def run(*args: str) -> tuple[int, str, str]:
        done = subprocess.run(
            [sys.executable, "-m", "hub", *args],
            env=dict(os.environ),
            cwd=os.getcwd(),
            stdin=subprocess.DEVNULL,  # no terminal: commands that would ask refuse instead
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        return done.returncode, done.stdout, done.stderr

    return run


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ocpi-hub: "), err
    return lines[0]


# -- the database: missing, not migrated, unreachable, malformed -------------------------------------


def test_read_only_commands_on_no_database_say_so_and_create_nothing(env: Path, run: Run) -> None:
    expected = f"ocpi-hub: no database at {env / 'xdg' / 'ocpi-hub' / 'hub.db'}: run `ocpi-hub db upgrade`"
    for command in (
        ["platforms", "list"],
        ["platforms", "show", "1"],
        ["outbox", "status"],
        ["agreements", "list"],
        ["upstreams", "list"],
    ):
        code, _, err = run(*command)
        assert code == 1, command
        assert one_line(err).startswith(expected), err
    assert not (env / "xdg").exists() and not (env / "var").exists()


def test_the_default_database_lives_in_the_data_directory_whatever_the_current_directory(
    env: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("db", "upgrade")[0] == 0
    assert (env / "xdg" / "ocpi-hub" / "hub.db").is_file()
    elsewhere = env / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, _ = run("platforms", "list")
    assert code == 0 and "no platforms" in out
    assert list(elsewhere.iterdir()) == []


def test_an_empty_database_is_not_migrated(env: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    (env / "empty.db").touch()
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite+aiosqlite:///{env / 'empty.db'}")
    for command in (["platforms", "list"], ["platforms", "add", "--name", "x", "--role", "CPO:NL:ABC"]):
        code, _, err = run(*command)
        assert (code, one_line(err)) == (1, "ocpi-hub: database not migrated: run `ocpi-hub db upgrade`")


def test_serve_no_migrate_on_an_empty_database_stops_with_the_fix(
    env: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    (env / "empty.db").touch()
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite+aiosqlite:///{env / 'empty.db'}")
    code, _, err = run("serve", "--no-migrate", "--port", "9")
    assert (code, one_line(err)) == (1, "ocpi-hub: database not migrated: run `ocpi-hub db upgrade`")


def test_malformed_and_unsupported_database_urls(env: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    for url, start in (
        ("not a url", "ocpi-hub: malformed database URL 'not a url': use sqlite+aiosqlite:///PATH or"),
        ("mysql://u:pw@h/db", "ocpi-hub: unsupported database URL 'mysql://u:***@h/db': use sqlite+aiosqlite"),
    ):
        monkeypatch.setenv("HUB_DATABASE_URL", url)
        for command in (["platforms", "list"], ["db", "upgrade"]):
            code, _, err = run(*command)
            assert code == 1 and one_line(err).startswith(start), (command, err)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_database_is_named_without_its_password(
    env: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql+asyncpg://hub:s3cret@127.0.0.1:{_free_port()}/hub"
    monkeypatch.setenv("HUB_DATABASE_URL", url)
    for command in (["platforms", "list"], ["db", "upgrade"]):
        code, _, err = run(*command)
        line = one_line(err)
        assert code == 1 and line.startswith("ocpi-hub: database unreachable at postgresql+asyncpg://hub:***@"), err
        assert "check database_url" in line and "s3cret" not in line


@pytest.mark.postgres
def test_a_missing_postgresql_database_says_create_it(env: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", 5432)) != 0:
            pytest.skip("no PostgreSQL server at 127.0.0.1:5432")
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/no_such_database_here")
    code, _, err = run("platforms", "list")
    assert code == 1
    assert one_line(err).startswith("ocpi-hub: database missing at postgresql+asyncpg://postgres@127.0.0.1:5432/")
    assert "createdb" in err


# -- settings and --config ----------------------------------------------------------------------


def test_config_is_accepted_before_and_after_the_subcommand(env: Path, db_path: Path, run: Run) -> None:
    config = env / "hub.toml"
    config.write_text(f'database_url = "sqlite+aiosqlite:///{db_path}"\npublic_url = "https://hub.example"\n')
    os.environ.pop("HUB_DATABASE_URL")  # the file must be what finds the database
    for args in (
        ["--config", str(config), "platforms", "add", "--name", "a", "--role", "CPO:NL:AAA", "--json"],
        ["platforms", "add", "--name", "b", "--role", "CPO:NL:BBB", "--json", "--config", str(config)],
        ["platforms", "--config", str(config), "add", "--name", "c", "--role", "CPO:NL:CCC", "--json"],
    ):
        code, out, err = run(*args)
        assert code == 0, err
        assert json.loads(out)["versions_url"] == "https://hub.example/ocpi/versions"
    code, out, _ = run("platforms", "list", "--json", "--config", str(config))
    assert [p["name"] for p in json.loads(out)] == ["a", "b", "c"]


def test_bad_config_files_and_settings_are_one_line_and_exit_2(
    env: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    (env / "broken.toml").write_text("port = \n")
    (env / "wrong.toml").write_text("port = 0\nno_such_key = 1\n")
    cases = {
        "missing.toml": "ocpi-hub: config file 'missing.toml' does not exist",
        "broken.toml": "ocpi-hub: config file 'broken.toml' is not valid TOML",
        "wrong.toml": "ocpi-hub: invalid settings: port: Input should be greater than or equal to 1",
    }
    for name, start in cases.items():
        code, _, err = run("platforms", "list", "--config", name)
        assert code == 2 and one_line(err).startswith(start), err
    assert "no_such_key" in err
    monkeypatch.setenv("HUB_ENVIRONMENT", "production")
    monkeypatch.delenv("HUB_SECRET_KEY")
    code, _, err = run("platforms", "list")
    assert code == 2 and "HUB_SECRET_KEY" in one_line(err)


def test_the_public_url_follows_host_and_port_unless_set(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load(None, {"port": 9443}).public_url == "http://127.0.0.1:9443"
    assert load(None, {"host": "0.0.0.0", "port": 80}).versions_url == "http://127.0.0.1:80/ocpi/versions"
    assert derived_public_url("::1", 8080, tls=True) == "https://[::1]:8080"
    assert derived_public_url("hub.example", 8443, tls=True) == "https://hub.example:8443"
    monkeypatch.setenv("HUB_PUBLIC_URL", "https://hub.example/")
    assert load(None, {"port": 9443}).public_url == "https://hub.example"


# -- platforms ------------------------------------------------------------------------------------


def test_update_suspend_resume_show_and_remove_by_id_or_name(
    db_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run("platforms", "add", "--name", "cpo", "--role", "CPO:NL:ABC", "--json")
    assert code == 0, err
    platform_id = str(json.loads(out)["platform_id"])

    code, out, _ = run("platforms", "update", "cpo", "--name", "cpo-nl", "--timeout", "2.5", "--json")
    shown = json.loads(out)
    assert (code, shown["name"], shown["timeout_seconds"]) == (0, "cpo-nl", 2.5)
    assert run("platforms", "update", platform_id, "--default-timeout", "--token-encoding", "raw")[0] == 0

    assert "is SUSPENDED" in run("platforms", "suspend", "cpo-nl")[1]
    code, out, _ = run("platforms", "list")
    header, row = out.splitlines()
    assert header.split() == ["ID", "NAME", "STATUS", "VERSION", "LAST", "SEEN", "PARTIES"]
    assert row.split()[:3] == [platform_id, "cpo-nl", "SUSPENDED"]
    assert "is PLANNED" in run("platforms", "resume", platform_id)[1]  # never registered: PLANNED
    code, _, err = run("platforms", "resume", platform_id)
    assert (code, one_line(err)) == (1, f"ocpi-hub: Platform {platform_id} is PLANNED, not SUSPENDED")

    code, out, _ = run("platforms", "show", "cpo-nl", "--json")
    shown = json.loads(out)
    assert (shown["token_encoding"], shown["timeout_seconds"], shown["last_seen_at"]) == ("raw", None, None)
    assert shown["counters"] == {"outbox": {}, "stored_objects": {}}
    code, out, _ = run("platforms", "show", "cpo-nl")
    assert "last seen:" in out and "OCPI version:" in out and "outbox to it:" in out and "parties:" in out

    code, _, err = run("platforms", "remove", "cpo-nl")
    assert (code, one_line(err)) == (
        1,
        f"ocpi-hub: not removing platform {platform_id} (cpo-nl) without --yes (no terminal to ask)",
    )
    assert "removed" in run("platforms", "remove", "cpo-nl", "--yes")[1]
    code, out, _ = run("platforms", "list", "--json")
    assert (code, json.loads(out)) == (0, [])


def test_operator_mistakes_on_platforms_are_one_line(db_path: Path, run: Run) -> None:
    assert run("platforms", "add", "--name", "cpo", "--role", "CPO:NL:ABC")[0] == 0
    assert run("platforms", "add", "--name", "other", "--role", "CPO:NL:OTH")[0] == 0
    mistakes = {
        ("platforms", "show", "42"): "ocpi-hub: No platform with id 42",
        ("platforms", "show", "nobody"): "ocpi-hub: No platform named 'nobody'",
        ("platforms", "suspend", "nobody"): "ocpi-hub: No platform named 'nobody'",
        ("platforms", "remove", "42", "--yes"): "ocpi-hub: No platform with id 42",
        ("platforms", "token-a", "nobody"): "ocpi-hub: No platform named 'nobody'",
        ("platforms", "update", "cpo"): "ocpi-hub: Nothing to update: give --name",
        ("platforms", "update", "cpo", "--name", "other"): "ocpi-hub: A platform named 'other' exists already",
        ("platforms", "add", "--name", "x", "--role", "CPO:NL"): "ocpi-hub: Role 'CPO:NL' must look like ROLE:CC:PID",
        ("platforms", "apply", "missing.toml"): "ocpi-hub: Platforms file 'missing.toml' does not exist",
        ("platforms", "apply", "."): "ocpi-hub: Platforms file '.' is a directory",
        ("agreements", "remove", "7"): "ocpi-hub: No agreement with id 7",
    }
    for args, start in mistakes.items():
        code, _, err = run(*args)
        assert code == 1 and one_line(err).startswith(start), (args, err)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[platform]\nname = 1", "is not valid TOML"),
        ('platform = "x"', "declare platforms as [[platform]] tables"),
        ('[[platform]]\nroles = ["CPO:NL:ABC"]', "platform 1: name is missing"),
        ('[[platform]]\nname = "a"\nroles = "CPO:NL:ABC"', "platform 1: roles must be a list"),
        ('[[platform]]\nname = "a"\nroles = ["CPO:NL:ABC"]\ntoken_encoding = "hex"', "token_encoding must be"),
        ('[[platform]]\nname = "a"\nroles = ["CPO:NL:ABC"]\ntimeout_seconds = -1', "timeout must be more than 0"),
        ('[[platform]]\nname = "a"\nroles = ["CPO:NL"]', "must look like ROLE:CC:PID"),
    ],
)
def test_apply_refuses_an_invalid_platforms_file(db_path: Path, run: Run, content: str, message: str) -> None:
    (db_path.parent / "platforms.toml").write_text(content)
    code, _, err = run("platforms", "apply", "platforms.toml")
    assert code == 1 and message in one_line(err), err


def test_an_unreadable_platforms_file(db_path: Path, run: Run) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = db_path.parent / "secret.toml"
    path.write_text("")
    path.chmod(0)
    code, _, err = run("platforms", "apply", str(path))
    assert code == 1 and "cannot be read: Permission denied" in one_line(err)


# -- misuse, unexpected errors, help ------------------------------------------------------------------


def test_misuse_gets_usage_and_exit_2(env: Path, run: Run) -> None:
    for args in (
        [],
        ["nonsense"],
        ["platforms"],
        ["platforms", "update", "1", "--timeout", "-1"],
        ["platforms", "add", "--name", "x", "--role", "CPO:NL:ABC", "--timeout", "0"],
        ["serve", "--port", "70000"],
        ["platforms", "show"],
    ):
        code, _, err = run(*args)
        assert code == 2 and "usage: ocpi-hub" in err, args


def test_an_unexpected_error_is_one_line_and_traceback_shows_the_rest(capsys: pytest.CaptureFixture[str]) -> None:
    odd = RuntimeError("something odd\nsecond line")
    assert _fail(odd, None, show_traceback=False) == 1
    assert one_line(capsys.readouterr().err) == (
        "ocpi-hub: unexpected error: RuntimeError: something odd (run again with --traceback for the details, "
        "and report it)"
    )
    try:
        raise odd
    except RuntimeError as raised:
        assert _fail(raised, None, show_traceback=True) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().endswith("ocpi-hub: unexpected error: RuntimeError: something odd")


def _all_parsers(
    parser: argparse.ArgumentParser, path: str = "ocpi-hub"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                assert helps.get(name), f"{path} {name} has no help"
                yield from _all_parsers(sub, f"{path} {name}")


def test_every_command_and_option_has_help() -> None:
    for path, parser in _all_parsers(build_parser()):
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"{path} {'/'.join(action.option_strings) or action.dest} has no help"


def test_help_imports_nothing_heavy() -> None:
    """`--help` must not pay for SQLAlchemy, the app or uvicorn (it answers in well under 0.5 s)."""
    probe = (
        "import sys, contextlib, io\n"
        "from hub.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['platforms', 'update', '--help'])\n"
        "print(sorted(m for m in ('sqlalchemy', 'pydantic', 'uvicorn', 'starlette', 'hub.app', 'structlog')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True, cwd=PROJECT_ROOT
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
