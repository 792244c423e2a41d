"""matcher/lazy.py lazy_pattern: a module-level pattern compiled on first use behaves as
re.compile's, and after its first use calls the compiled pattern's own methods."""

from __future__ import annotations

import re

import pytest

from matcher.lazy import LazyPattern, lazy_pattern

PATTERN = r"(?P<y>(?:19|20)[0-9]{2})年(?:(?P<m>[0-9]{1,2})月)?"
TEXTS = ["2021年3月", "x2021年", "1999年12月起", "", "年月", "2020年2020年5月"]


@pytest.mark.parametrize("method", ["search", "match", "fullmatch", "findall", "split", "sub"])
def test_same_answers_as_re_compile(method: str) -> None:
    real = re.compile(PATTERN)
    lazy = lazy_pattern(PATTERN)
    for text in TEXTS:
        args: tuple[str, ...] = ("-", text) if method == "sub" else (text,)
        want, got = getattr(real, method)(*args), getattr(lazy, method)(*args)
        if isinstance(want, re.Match):
            assert isinstance(got, re.Match) and got.groupdict() == want.groupdict()
            assert got.span() == want.span()
        else:
            assert got == want
    assert [m.span() for m in lazy.finditer(TEXTS[-1])] == [
        m.span() for m in real.finditer(TEXTS[-1])
    ]
    assert lazy.subn("-", TEXTS[-1]) == real.subn("-", TEXTS[-1])


def test_compiled_on_first_use_only() -> None:
    lazy = LazyPattern(PATTERN, re.IGNORECASE)
    assert "_re" not in vars(lazy) and lazy.pattern == PATTERN and lazy.flags == re.IGNORECASE
    assert lazy.groupindex == re.compile(PATTERN).groupindex  # compiles
    assert lazy.groups == 2
    compiled = vars(lazy)["_re"]
    assert compiled.flags & re.IGNORECASE
    # the compiled pattern's bound methods, not the class's wrappers
    assert lazy.search.__self__ is compiled  # type: ignore[attr-defined]
    assert lazy.sub.__self__ is compiled  # type: ignore[attr-defined]


def test_a_bad_pattern_fails_at_first_use() -> None:
    lazy = lazy_pattern("(")
    with pytest.raises(re.error):
        lazy.search("x")
