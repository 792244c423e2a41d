"""A disk that fills up, as matcher.report.files sees it (tests of the report writer)."""

from __future__ import annotations

import errno
import os


class FullDisk:
    """``os`` as matcher.report.files sees it, on a disk with ``room`` bytes left."""

    def __init__(self, room: int) -> None:
        self.room = room

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    def write(self, fd: int, data: object) -> int:
        n = memoryview(data).nbytes  # type: ignore[arg-type]
        if n > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= n
        return os.write(fd, data)  # type: ignore[arg-type]
