"""The command line loads a command's module only when the command is used (cli.COMMAND_MODULES)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click

from buildprof.cli import COMMAND_MODULES


def test_the_table_names_every_command_of_every_module_once():
    found: dict[str, str] = {}
    for module, name in set(COMMAND_MODULES.values()):
        for command in getattr(importlib.import_module(module), name):
            assert isinstance(command, click.Command)
            assert command.name not in found, f"{command.name} is defined twice"
            found[command.name] = module
    assert found == {name: module for name, (module, _) in COMMAND_MODULES.items()}


def test_help_lists_every_command_and_each_runs(run_cli):
    listed = run_cli("--help").output
    for name in COMMAND_MODULES:
        assert f"  {name} " in listed
        assert run_cli(name, "--help").exit_code == 0
    assert run_cli("no-such-command").exit_code == 2


def test_trace_does_not_load_the_other_commands():
    code = (
        "import sys; from buildprof.cli import cli; cli.get_command(None, 'trace'); "
        "print(sorted(m for m in sys.modules if m.startswith('buildprof.cli.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "buildprof.cli.trace_commands" in loaded
    for other in ("commands", "history_commands", "change_commands", "graph_commands"):
        assert f"'buildprof.cli.{other}'" not in loaded
