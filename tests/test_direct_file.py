"""DirectFile (the batch report's O_DIRECT writer) writes exactly the bytes given."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO, cast

import polars as pl
import pytest
from full_disk import FullDisk
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.report.files import DirectFile


class SmallDirect(DirectFile):
    BUFFER = 4096  # one block: every boundary case in a few bytes


def _write(cls: type[DirectFile], path: Path, chunks: list[bytes]) -> None:
    out = cls(path)
    try:
        for chunk in chunks:
            assert out.write(chunk) == len(chunk)
    finally:
        out.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=9000), max_size=8))
def test_bytes_are_written_as_given(
    tmp_path_factory: pytest.TempPathFactory, chunks: list[bytes]
) -> None:
    path = tmp_path_factory.mktemp("direct") / "out.csv"
    path.write_bytes(b"old content to be truncated" * 500)
    _write(SmallDirect, path, chunks)
    assert path.read_bytes() == b"".join(chunks)


def test_exact_buffer_multiples(tmp_path: Path) -> None:
    for n in (0, 4095, 4096, 4097, 8192, 3 * 4096 + 1):
        path = tmp_path / f"f{n}.bin"
        data = bytes(i % 251 for i in range(n))
        _write(SmallDirect, path, [data[: n // 2], data[n // 2 :]])
        assert path.read_bytes() == data


def test_polars_csv_is_the_same(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "a": [f'x,"{i}"\n' for i in range(20_000)],
            "b": pl.Series(["p", "q"] * 10_000, dtype=pl.Enum(["p", "q"])),
            "c": list(range(20_000)),
        }
    )
    path = tmp_path / "r.csv"
    out = SmallDirect(path)
    sink = cast(BinaryIO, out)  # a RawIOBase: polars calls its write()
    frame.write_csv(sink, include_bom=True)
    frame.write_csv(sink, include_header=False)
    out.close()
    ref = io.BytesIO()
    frame.write_csv(ref, include_bom=True)
    frame.write_csv(ref, include_header=False)
    assert path.read_bytes() == ref.getvalue()


def test_hides_descriptor_only_when_direct(tmp_path: Path) -> None:
    out = DirectFile(tmp_path / "d.csv")
    try:
        if out.direct:  # polars must call write(), not write to the descriptor
            assert not out.seekable()
            with pytest.raises(io.UnsupportedOperation):
                out.fileno()
        else:
            assert out.seekable() and out.fileno() >= 0
    finally:
        out.close()


def test_a_device_is_written_the_ordinary_way() -> None:
    out = DirectFile(Path("/dev/null"))
    try:
        assert not out.direct
        out.write(b"x" * 10_000)
    finally:
        out.close()


def test_a_full_disk_keeps_its_errno_through_polars(tmp_path: Path) -> None:
    """polars re-raises what write() raised as a bare OSError("[Errno 28] ..."): the
    errno must still be found, or a full disk reads as an internal error."""
    import errno

    from matcher.errors import os_errno

    class Full(SmallDirect):
        def _flush_buffer(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    out = Full(tmp_path / "full.csv")
    with pytest.raises(OSError) as caught:
        pl.DataFrame({"a": ["x" * 100] * 1000}).write_csv(cast(BinaryIO, out))
    assert os_errno(caught.value) == errno.ENOSPC
    out._fill = 0  # nothing left to flush
    out.close()


@pytest.mark.parametrize("direct", [True, False])
def test_a_disk_that_fills_up_is_the_error_raised_not_a_buffer_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct: bool
) -> None:
    """The failing write's traceback holds a view of the buffer while the file closes: the
    buffer must not be closed under it (BufferError), hiding the full disk."""
    import errno

    from matcher.errors import os_errno
    from matcher.report import files

    monkeypatch.setattr(files, "os", FullDisk(room=6000))
    out = SmallDirect(tmp_path / "full.csv")
    if direct:  # through the aligned buffer, whatever the file system allows
        out.direct = True
    else:
        out._buffered()  # the ordinary way
    with pytest.raises(OSError) as caught:
        pl.DataFrame({"a": ["x" * 100] * 1000}).write_csv(cast(BinaryIO, out))
    assert os_errno(caught.value) == errno.ENOSPC
    if out.direct:
        with pytest.raises(OSError) as closing:  # the buffered tail cannot be written either
            out.close()
        assert closing.value.errno == errno.ENOSPC
    else:
        out.close()  # written as it came: nothing held back
    assert out.closed
