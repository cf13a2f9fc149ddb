"""`gatescope trace` refuses impossible requests before doing the work: an --array whose header claims a huge shape
and a --units range far beyond the model are one-line errors that cost neither time nor memory."""

from __future__ import annotations

import numpy as np
import pytest

from gatescope.cli import main
from gatescope.cli.trace import _parse_units
from gatescope.errors import GatescopeError
from tests.hostile_files import npy_header, run_cli_limited, write_npy_header_only


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_array_whose_header_claims_a_huge_shape_is_a_one_line_error_naming_the_limit(capsys, tmp_path) -> None:
    huge = write_npy_header_only(tmp_path / "huge.npy", (10**6, 10**6))

    code, out, err = run_cli(capsys, "trace", "bracket-counter", "--array", str(huge))

    assert code == 2 and out == "" and err.count("\n") == 1
    assert "huge.npy" in err and "claims 4 TB" in err and "too large" in err


def test_array_shorter_than_its_header_says_is_a_one_line_error(capsys, tmp_path) -> None:
    short = tmp_path / "short.npy"
    short.write_bytes(npy_header((100, 4)) + bytes(40))

    code, _, err = run_cli(capsys, "trace", "bracket-counter", "--array", str(short))

    assert code == 2 and "is truncated (40 of 1,600 bytes)" in err


def test_npz_given_as_array_says_it_is_an_archive(capsys, tmp_path) -> None:
    archive = tmp_path / "x.npz"
    np.savez(archive, x=np.ones((3, 4), np.float32))

    code, _, err = run_cli(capsys, "trace", "bracket-counter", "--array", str(archive))

    assert code == 2 and "not an archive" in err


def test_units_range_far_beyond_the_model_is_refused_without_listing_it() -> None:
    with pytest.raises(GatescopeError, match="units run from 0 to 7"):
        _parse_units("0-99999999999999", 8)


def test_units_are_listed_in_the_order_given_without_repeats() -> None:
    assert _parse_units("7,3,3,0-1,5-4", 8) == [7, 3, 0, 1]


@pytest.mark.slow
def test_units_0_to_99999999_is_refused_in_a_process_limited_to_1_gb() -> None:
    result = run_cli_limited(["trace", "lstm-brackets", "(a)", "--units", "0-99999999"], address_space=1_000_000_000)

    assert result.returncode == 2, result.stderr
    assert result.stderr == "gatescope: error: --units '0-99999999': units run from 0 to 7\n"
