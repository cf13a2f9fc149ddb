"""The command line on paths the file system refuses, unknown users' homes and text that is not UTF-8: one line saying
why (exit code 2), never a traceback, and nothing written."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gatescope.cli import main

LONG = "a" * 300  # longer than the 255 bytes a name may have on every common file system


def too_long(name: str) -> str:
    limit = f"a name of {len(name)} bytes; at most 255 here"
    return f"the name is too long for the file system ({limit}); choose a shorter name"


NO_USER = (
    "there is no user 'nosuchuser' on this system (~nosuchuser stands for their home folder); check the name or "
    "give the full path"
)
NOT_UTF8 = (
    "standard input is not UTF-8 text: byte 0xff on line 2 (byte 6) cannot be decoded; convert the text to UTF-8 "
    "first, e.g. with iconv -f latin1 -t utf-8"
)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(capsys, *argv: str) -> str:
    """The message of a command that must fail with one line and exit code 2."""
    code, out, err = run_cli(capsys, *argv)
    assert (code, out) == (2, ""), err
    assert err.startswith("gatescope: error: ") and err.count("\n") == 1, err
    return err.removeprefix("gatescope: error: ").rstrip("\n")


def shortened(path: Path) -> str:
    text = str(path)
    return f"{text[:40]}…{text[-40:]} ({len(text)} characters)"


def pipe_in(monkeypatch, data: bytes, encoding: str = "utf-8") -> None:
    """Standard input holding ``data``, decoded strictly in ``encoding`` by whoever reads it as text."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="strict"))


# --- reading a model ----------------------------------------------------------------------------------------------


def test_model_name_longer_than_the_file_system_allows_is_one_line(capsys):
    assert one_line_error(capsys, "trace", LONG, "hi") == (
        f"{'a' * 40}…{'a' * 40} (300 characters): cannot read it: {too_long(LONG)}"
    )


def test_model_file_name_longer_than_the_file_system_allows_is_one_line(capsys, tmp_path):
    path = tmp_path / f"{LONG}.npz"

    assert (
        one_line_error(capsys, "trace", str(path), "hi") == f"{shortened(path)}: cannot read it: {too_long(path.name)}"
    )


@pytest.mark.parametrize("command", [["trace", "~nosuchuser/m.npz", "hi"], ["gui", "--model", "~nosuchuser/m.npz"]])
def test_model_in_an_unknown_users_home_is_one_line(capsys, tmp_path, command):
    if command[0] == "gui":
        command += ["--screenshot", str(tmp_path / "window.png")]

    assert one_line_error(capsys, *command) == f"~nosuchuser/m.npz: {NO_USER}"
    assert os.listdir(tmp_path) == []


# --- writing an output --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["trace", "bracket-counter", "(a)", "--out", "{folder}/{long}.csv", "--format", "csv"],
        ["trace", "bracket-counter", "(a)", "--out", "{folder}/{long}.txt"],
        ["export", "--model", "bracket-counter", "--text", "(a)", "--format", "json", "--out", "{folder}/{long}.json"],
        ["gui", "--model", "bracket-counter", "--screenshot", "{folder}/{long}.png"],
    ],
    ids=["trace csv", "trace table", "export json", "screenshot"],
)
def test_output_name_longer_than_the_file_system_allows_is_one_line_and_writes_nothing(capsys, tmp_path, command):
    argv = [part.format(folder=tmp_path, long=LONG) for part in command]
    out = Path(argv[argv.index("--out" if "--out" in argv else "--screenshot") + 1])

    assert one_line_error(capsys, *argv) == f"{shortened(out)}: cannot write it: {too_long(out.name)}"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "command",
    [
        ["trace", "bracket-counter", "(a)", "--out", "~nosuchuser/t.csv", "--format", "csv"],
        ["export", "--model", "bracket-counter", "--text", "(a)", "--format", "csv", "--out", "~nosuchuser/t.csv"],
        ["export", "--model", "bracket-counter", "--text", "(a)", "--format", "gif", "--out", "~nosuchuser/t.csv"],
        ["gui", "--model", "bracket-counter", "--screenshot", "~nosuchuser/t.csv"],
        ["train", "resources/configs/lstm-brackets.toml", "--out", "~nosuchuser/t.csv"],
    ],
    ids=["trace", "export data", "export animation", "screenshot", "train"],
)
def test_output_in_an_unknown_users_home_is_one_line(capsys, command):
    assert one_line_error(capsys, *command) == f"~nosuchuser/t.csv: {NO_USER}"


def test_output_in_the_home_folder_is_expanded(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))

    code, out, err = run_cli(capsys, "trace", "bracket-counter", "(a)", "--format", "json", "--out", "~/t.json")

    assert (code, err) == (0, "")
    assert out == f"{tmp_path / 't.json'}\n"
    assert json.loads((tmp_path / "t.json").read_text())["tokens"] == ["(", "a", ")"]


def test_empty_output_path_is_one_line(capsys):
    assert one_line_error(capsys, "trace", "bracket-counter", "(a)", "--out", "") == (
        "no file path given (the path is empty); give a file name"
    )


# --- standard input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["trace", "bracket-counter", "-"],
        ["export", "--model", "bracket-counter", "--text", "-", "--format", "csv", "--out", "{folder}/t.csv"],
    ],
    ids=["trace", "export"],
)
def test_standard_input_that_is_not_utf8_is_one_line_saying_where(capsys, tmp_path, monkeypatch, command):
    pipe_in(monkeypatch, b"(a)\nab\xff\xfe(c)\n")

    assert one_line_error(capsys, *[part.format(folder=tmp_path) for part in command]) == NOT_UTF8
    assert os.listdir(tmp_path) == []


def test_standard_input_is_read_as_utf8_whatever_the_locale(capsys, monkeypatch):
    pipe_in(monkeypatch, "café (a)".encode(), encoding="ascii")  # the C locale's encoding

    code, out, _ = run_cli(capsys, "trace", "bracket-counter", "-", "--format", "json")

    assert code == 0
    assert json.loads(out)["tokens"] == list("café (a)")


def test_closed_standard_input_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)

    assert one_line_error(capsys, "trace", "bracket-counter", "-") == (
        "'-' reads standard input, but it is closed; pipe the text in or give it as an argument"
    )


def gatescope_process(*argv: str, stdin: bytes, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gatescope", *argv],
        input=stdin,
        capture_output=True,
        timeout=120,
        env={**os.environ, **env},
    )


@pytest.mark.slow
def test_invalid_utf8_on_standard_input_under_a_strict_locale_is_one_line():
    result = gatescope_process("trace", "bracket-counter", "-", stdin=b"(a)\nab\xff\xfe(c)\n", PYTHONIOENCODING="utf-8")

    assert result.returncode == 2
    assert result.stderr.decode() == f"gatescope: error: {NOT_UTF8}\n"


@pytest.mark.slow
def test_text_an_ascii_terminal_cannot_show_is_one_line_pointing_to_a_utf8_locale():
    result = gatescope_process(
        "trace", "bracket-counter", "-", "--format", "json", stdin="café".encode(), LC_ALL="C", PYTHONUTF8="0"
    )

    assert result.returncode == 2
    assert result.stderr.decode() == (
        "gatescope: error: standard output is in ascii, which cannot show '\\xe9'; use a UTF-8 locale (e.g. "
        "LC_ALL=C.UTF-8) or write to a file with --out\n"
    )
