"""Scalar-units: parsing, normalisation, comparison, case warnings."""

from __future__ import annotations

import pytest

from cumulo.tosca import units
from cumulo.tosca.units import (
    BITRATE,
    FREQUENCY,
    SIZE,
    TIME,
    ScalarUnit,
    ScalarUnitError,
    parse_bitrate,
    parse_frequency,
    parse_scalar_unit,
    parse_size,
    parse_time,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4 GB", 4_000_000_000),
        ("4GB", 4_000_000_000),
        ("  4   GB ", 4_000_000_000),
        ("1 GiB", 1 << 30),
        ("2 MiB", 2 << 20),
        ("512 kB", 512_000),
        ("1 KiB", 1024),
        ("3 TiB", 3 << 40),
        ("1 TB", 10**12),
        ("10 B", 10),
        ("1.5 GB", 1_500_000_000),
        ("0.5 KiB", 512),
        ("4096 MB", 4_096_000_000),
    ],
)
def test_parse_size_bytes(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("4 gb", "GB"), ("40 GIB", "GiB"), ("1 kb", "kB"), ("1 KB", "kB"), ("2 mib", "MiB")],
)
def test_size_case_insensitive_with_warning(text: str, canonical: str) -> None:
    parsed = parse_scalar_unit(text, SIZE)
    assert parsed.unit == canonical
    assert parsed.warning is not None and canonical in parsed.warning


def test_canonical_case_has_no_warning() -> None:
    assert parse_scalar_unit("4 GiB", SIZE).warning is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1 d", 86400),
        ("2 h", 7200),
        ("3 m", 180),
        ("10 s", 10),
        ("500 ms", 0.5),
        ("250 us", 250e-6),
        ("7 ns", 7e-9),
        ("1.5 h", 5400),
    ],
)
def test_parse_time_seconds(text: str, seconds: float) -> None:
    assert parse_time(text) == pytest.approx(seconds)


def test_parse_frequency() -> None:
    assert parse_frequency("2 GHz") == 2e9
    assert parse_frequency("800 MHz") == 8e8
    assert parse_frequency("1 kHz") == 1e3
    assert parse_frequency("60 hz") == 60


@pytest.mark.parametrize(
    ("text", "bps"),
    [
        ("1 bps", 1),
        ("1 Kbps", 1000),
        ("1 Kibps", 1024),
        ("1 Mbps", 1e6),
        ("1 Gibps", 1 << 30),
        ("1 Bps", 8),
        ("1 KBps", 8000),
        ("1 KiBps", 8192),
        ("2 TiBps", 16 * (1 << 40)),
    ],
)
def test_parse_bitrate(text: str, bps: float) -> None:
    assert parse_bitrate(text) == bps


@pytest.mark.parametrize("text", ["1 KBPS", "1 kibps", "1 BPS"])
def test_bitrate_case_mismatch_is_ambiguous(text: str) -> None:
    # Bits and bytes differ only by case ("Kbps" vs "KBps"): no guessing.
    with pytest.raises(ScalarUnitError, match="ambiguous"):
        parse_scalar_unit(text, BITRATE)


@pytest.mark.parametrize(
    "text",
    ["GB", "4", "4 parsecs", "four GB", "", "4 GB extra", "4 G B", "1e999 GB", "--1 GB"],
)
def test_bad_sizes_rejected_with_message(text: str) -> None:
    with pytest.raises(ScalarUnitError) as caught:
        parse_size(text)
    assert "scalar-unit.size" in str(caught.value) or "unit" in str(caught.value)


@pytest.mark.parametrize("value", [4, 4.5, True, None, ["4 GB"], {"a": 1}])
def test_non_text_rejected(value: object) -> None:
    with pytest.raises(ScalarUnitError, match="write a number and a unit"):
        parse_scalar_unit(value, SIZE)


def test_time_unit_is_not_a_size() -> None:
    with pytest.raises(ScalarUnitError, match='unknown unit "s"'):
        parse_size("10 s")


def test_scalar_unit_compares_by_normalised_value() -> None:
    assert parse_scalar_unit("1 GB", SIZE) == parse_scalar_unit("1000 MB", SIZE)
    assert parse_scalar_unit("1 GiB", SIZE) > parse_scalar_unit("1 GB", SIZE)
    assert parse_scalar_unit("59 s", TIME) < parse_scalar_unit("1 m", TIME)
    assert parse_scalar_unit("1 m", TIME) <= parse_scalar_unit("60 s", TIME)
    assert hash(parse_scalar_unit("1 kB", SIZE)) == hash(parse_scalar_unit("1000 B", SIZE))
    assert len({parse_scalar_unit("1 h", TIME), parse_scalar_unit("60 m", TIME)}) == 1


def test_different_kinds_are_not_comparable() -> None:
    size, duration = parse_scalar_unit("1 B", SIZE), parse_scalar_unit("1 s", TIME)
    assert size != duration
    with pytest.raises(TypeError):
        _ = size < duration


def test_normalise_and_convert() -> None:
    assert units.normalise("4gb", SIZE) == "4 GB"
    assert units.normalise("1.50 GIB", SIZE) == "1.5 GiB"
    assert str(ScalarUnit(2, "MHz", FREQUENCY)) == "2 MHz"
    assert parse_scalar_unit("2 GiB", SIZE).to("MiB") == 2048
    assert parse_scalar_unit("90 m", TIME).to("h") == 1.5


def test_every_kind_lists_its_units() -> None:
    assert units.units_of(SIZE)[:3] == ("B", "kB", "KiB")
    assert "ns" in units.units_of(TIME)
    assert units.base_unit(BITRATE) == "bps"
    assert set(units.KINDS) == {SIZE, TIME, FREQUENCY, BITRATE}
