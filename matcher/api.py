"""The library surface the CLI calls: load profiles, load rules, match, summarise."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcher.batch import (
    BRIEF_COLUMNS,
    RESULT_COLUMNS,
    RULE_CONSTANTS,
    SEP,
    Evaluator,
    amount_note_expr,
    evaluate_frame,
    rule_table,
)
from matcher.errors import PolicyMatchError
from matcher.evaluate.row import Outcome
from matcher.fields import ROW, col
from matcher.frame import pl
from matcher.intake.columns import ColumnAccount, account_columns, check_strict
from matcher.intake.duplicates import Duplicate, Seen, SeenFirms, drop_duplicates
from matcher.intake.errors import IntakeError
from matcher.intake.headers import HeaderMappingError, map_headers
from matcher.intake.limits import Limits
from matcher.intake.limits import resolve as resolve_limits
from matcher.intake.profile_file import read_profile_file
from matcher.intake.readers import (
    RawProblem,
    SkippedRows,
    is_parquet,
    iter_parquet_chunks,
    read_table,
    scan_table,
    split_non_data,
)
from matcher.loader import load_ruleset as load_ruleset
from matcher.normalize import ParseCache, Portfolio, input_fields, normalise, profile_to_raw
from matcher.reference.data import data_dir
from matcher.report.files import drop_from_cache
from matcher.rule import Rule

if TYPE_CHECKING:
    from matcher.reference.resolution import Resolution

SINGLE_SUFFIXES = {".yaml", ".yml", ".json"}
NEWSLETTER_DATE = dt.date(2022, 7, 1)


def demo_portfolio_path() -> Path:
    return data_dir() / "profiles" / "demo.csv"


def load_portfolio(
    path: Path,
    *,
    sheet: str | None = None,
    overrides: dict[str, str] | None = None,
    today: dt.date | None = None,
    region_context: str | None = None,
    limits: Limits | None = None,
    rules: Sequence[Rule] = (),
    strict_headers: bool = False,
    lang: str = "zh",
) -> Portfolio:
    """A whole portfolio (or YAML/JSON profiles), normalised. ``limits`` bound what
    reading may cost (default: :meth:`Limits.from_env`).

    Totals and footnote rows are left out (``portfolio.skipped``), a firm entered
    twice is kept once (``portfolio.duplicates``), and every column is accounted
    for (``portfolio.account``), flagged against the fields ``rules`` read;
    ``strict_headers`` refuses any guessed column."""
    path = Path(path)
    lim = resolve_limits(limits)
    if not path.exists():
        raise PolicyMatchError(f"找不到文件「{path}」", "请检查路径是否正确")
    problems: list[RawProblem] = []
    if path.suffix.lower() in SINGLE_SUFFIXES:
        raw = _single_profiles(path, lim)
    else:
        try:
            table = read_table(path, sheet=sheet, limits=lim)
        except IntakeError as exc:
            raise PolicyMatchError(str(exc)) from exc
        raw, problems = table.frame, table.problems
    intake = Intake(overrides, rules, strict_headers, region_context, lang)
    return intake.chunk(raw, problems, first=True, today=today, limits=lim)


@dataclass
class Intake:
    """What happens to each raw chunk before matching (issue 12), with the state that
    spans chunks: the firms already seen."""

    overrides: dict[str, str] | None = None
    rules: Sequence[Rule] = ()
    strict: bool = False
    region_context: str | None = None
    lang: str = "zh"
    fields: Collection[str] | None = None
    seen: Seen = field(default_factory=SeenFirms)
    # rows per province and the open region names, over every chunk so far (issue 12)
    provinces: Counter[str] = field(default_factory=Counter)
    unresolved: dict[str, Resolution] = field(default_factory=dict)
    # the spellings parsed so far, per field (normalize.ParseCache)
    parse_cache: ParseCache = field(default_factory=ParseCache)

    @property
    def needed(self) -> frozenset[str] | None:
        """The fields the loaded rules read (None: no rules known)."""
        return input_fields(self.rules) if self.rules else None

    def chunk(
        self,
        raw: pl.DataFrame,
        problems: Sequence[RawProblem],
        *,
        first: bool,
        today: dt.date | None = None,
        limits: Limits | None = None,
    ) -> Portfolio:
        return self.follow(self.read(raw, problems, first=first, today=today, limits=limits))

    def read(
        self,
        raw: pl.DataFrame,
        problems: Sequence[RawProblem],
        *,
        first: bool,
        today: dt.date | None = None,
        limits: Limits | None = None,
    ) -> Portfolio:
        """The part of :meth:`chunk` that needs no other chunk: chunks may be read in any
        order, at the same time; :meth:`follow` must then take them in input order."""
        raw, skipped = split_non_data(raw)
        account = self.account(raw) if first else None
        portfolio = normalise(
            raw,
            overrides=self.overrides,
            today=today,
            problems=problems,
            fields=self.fields,
            limits=limits,
            report_headers=first,
            region_context=self.region_context,
            cache=self.parse_cache,
        )
        portfolio.read += len(skipped)
        portfolio.skipped = skipped
        portfolio.account = account
        return portfolio

    def follow(self, portfolio: Portfolio) -> Portfolio:
        """The part of :meth:`chunk` that spans chunks (firms already seen, rows per
        province), for chunks from :meth:`read` taken in input order."""
        portfolio.frame, portfolio.duplicates = drop_duplicates(portfolio.frame, self.seen)
        if self.region_context is None:
            portfolio.region_hint = self._region_hint(portfolio)
        return portfolio

    def _region_hint(self, portfolio: Portfolio) -> Any:
        """Most resolved rows so far in one province while some names stay open: say so.
        Counted per province as chunks go, so a streamed run weighs all its rows."""
        from matcher.reference.regions import province_counts, suggest_region_context

        if "region_code" not in portfolio.frame.columns:
            return None
        self.provinces.update(province_counts(portfolio.frame.get_column("region_code")))
        for text, r in portfolio.regions.items():
            if r.code is None:
                self.unresolved.setdefault(text, r)
        if not self.unresolved:
            return None
        return suggest_region_context(self.provinces, self.unresolved.values())

    def account(self, raw: pl.DataFrame) -> ColumnAccount:
        """Every column: used, ambiguous, unused…; strict mode refuses any guess."""
        headers = [c for c in raw.columns if c != ROW]
        try:
            mapping = map_headers(headers, self.overrides, strict=self.strict)
        except HeaderMappingError as exc:
            raise PolicyMatchError(exc.message(self.lang)) from None
        head = raw.head(20)
        samples = {h: head.get_column(h).cast(pl.String).to_list() for h in mapping.unmapped}
        needed = input_fields(self.rules) if self.rules else None
        account = account_columns(mapping, needed=needed, samples=samples, strict=self.strict)
        if self.strict:
            try:
                check_strict(account)
            except HeaderMappingError as exc:
                zh = self.lang != "en"
                raise PolicyMatchError(
                    exc.message(self.lang),
                    "用 --map 表头=字段 逐列确认，或去掉 --strict-headers"
                    if zh
                    else "confirm each column with --map HEADER=FIELD, or drop --strict-headers",
                ) from None
        return account


def minor_problem(needed: Collection[str]) -> pl.Expr:
    """A problem that cannot change a result: in a field no loaded rule reads."""
    return (
        pl.col("field").is_not_null()
        & ~pl.col("field").is_in(list(needed))
        & ~pl.col("rejected").fill_null(False)
    )


def _single_profiles(path: Path, limits: Limits) -> pl.DataFrame:
    try:
        data = read_profile_file(path, limits)
    except IntakeError as exc:
        raise PolicyMatchError(str(exc)) from exc
    records = data if isinstance(data, list) else [data]
    if not records or not all(isinstance(r, dict) for r in records):
        raise PolicyMatchError(f"{path}: 企业画像应为「字段: 值」的映射（或映射的列表）")
    frames = [profile_to_raw(r, row=i + 1) for i, r in enumerate(records)]
    return pl.concat(frames, how="diagonal_relaxed")


def results(
    portfolio: Portfolio,
    rules: Sequence[Rule],
    as_of: dt.date,
    lang: str = "zh",
    *,
    enterprise_id: str | None = None,
) -> pl.DataFrame:
    """Every enterprise (or just one) × every rule, ranked."""
    from matcher.evaluate.questions_frame import with_ask_first

    frame = portfolio.frame
    if enterprise_id is not None:
        _refuse_duplicated_id(portfolio, enterprise_id)
        frame = frame.filter(pl.col("id") == enterprise_id)
    result = evaluate_frame(frame, rules, as_of, lang, passthrough=portfolio.passthrough).collect()
    return with_ask_first(result, rules, lang)


def select_row(portfolio: Portfolio, enterprise_id: str | None) -> dict[str, Any]:
    frame = portfolio.frame
    if enterprise_id is not None:
        _refuse_duplicated_id(portfolio, enterprise_id)
        frame = frame.filter(pl.col("id") == enterprise_id)
        if frame.is_empty():
            known = "、".join(portfolio.frame.get_column("id").head(10).to_list())
            raise PolicyMatchError(f"找不到企业编号「{enterprise_id}」", f"可用编号：{known}…")
    elif frame.height != 1:
        if frame.is_empty():
            raise PolicyMatchError("文件中没有可用的企业画像", "查看上面列出的问题")
        raise PolicyMatchError(f"文件中有 {frame.height} 家企业", "用 --id 指定其中一家的企业编号")
    return frame.row(0, named=True)


def _refuse_duplicated_id(portfolio: Portfolio, enterprise_id: str) -> None:
    """An id on several rows (or on a firm entered twice) names no single firm."""
    rows = portfolio.frame.filter(pl.col("id") == enterprise_id).get_column(ROW).to_list()
    for d in portfolio.duplicates:
        if enterprise_id in (d.first_id, d.id):
            rows += [d.first_row, d.row]
    rows = sorted(set(rows))
    if len(rows) > 1:
        where = "、".join(f"第{r}行" for r in rows)
        raise PolicyMatchError(
            f"企业编号「{enterprise_id}」对应名单中的多行：{where}，不知道该用哪一行",
            "删去或合并重复的行（或改正编号）后重试",
        )


def match_one(row: dict[str, Any], rules: Sequence[Rule], as_of: dt.date) -> list[Outcome]:
    from matcher.single import match_one as ranked

    return ranked(row, rules, as_of)


def summary(result: pl.DataFrame) -> pl.DataFrame:
    """Per rule: enterprises in each status and the total estimated amount (English statuses)."""
    statuses = ["eligible", "unknown", "ineligible", "expired", "not_yet_valid"]
    return (
        result.group_by("rule_id", "rule_title", maintain_order=True)
        .agg(
            *[(pl.col("status") == s).sum().alias(s) for s in statuses],
            pl.col("amount_yuan")
            .filter(pl.col("status") == "eligible")
            .sum()
            .alias("total_amount_yuan"),
        )
        .sort("rule_id")
    )


# Enterprises × rules evaluated per slice: bounds memory whatever the portfolio size.
CHUNK_RESULT_ROWS = 1_000_000
# Rows read and normalised at a time (normalising costs per call as well as per row).
READ_CHUNK_ROWS = 100_000
# Chunks read ahead (normalised, followed, wide pass) of the one being evaluated. One
# keeps the writer fed (1M: the writer waits 1.3 s in all, against 5 s with two chunks
# normalised ahead and the wide pass on the main thread); each chunk held ahead holds
# its wide frame (~110 MB per 100k rows: 1M peak 1.92 GB with two ahead).
READ_AHEAD = 1


@dataclass
class BatchRun:
    read: int = 0
    matched: int = 0
    rejected: int = 0
    written: int = 0
    errors: int = 0
    error_sample: pl.DataFrame | None = None  # the first problems, for the console
    summary: pl.DataFrame | None = None  # per rule, English status columns
    plans: list[pl.DataFrame] = field(default_factory=list)  # per slice, see collection_plan
    frames: list[pl.DataFrame] = field(default_factory=list)  # kept only for json/xlsx
    account: ColumnAccount | None = None  # every input column (issue 12)
    skipped: SkippedRows = field(default_factory=SkippedRows)  # totals, footnotes
    duplicates: list[Duplicate] = field(default_factory=list)
    region_hint: Any = None  # RegionContextHint: a suggestion, never applied
    warnings: int = 0  # problems in fields no loaded rule reads

    def note(self, portfolio: Portfolio) -> None:
        """Add one chunk's counts."""
        self.read += portfolio.read
        self.matched += portfolio.matched
        self.rejected += portfolio.rejected
        if portfolio.account is not None:
            self.account = portfolio.account
        # each chunk's hint weighs every chunk read so far: the last one is the run's
        self.region_hint = portfolio.region_hint
        self.skipped = self.skipped.merged(portfolio.skipped)
        self.duplicates.extend(portfolio.duplicates)


def iter_raw_chunks(
    path: Path,
    *,
    sheet: str | None = None,
    chunk_rows: int = 50_000,
    limits: Limits | None = None,
) -> Iterator[tuple[pl.DataFrame, list[RawProblem]]]:
    """The input in chunks of raw (all-String) rows; CSV and Parquet are streamed."""
    path = Path(path)
    lim = resolve_limits(limits)
    if not path.exists():
        raise PolicyMatchError(f"找不到文件「{path}」", "请检查路径是否正确")
    if path.suffix.lower() in SINGLE_SUFFIXES:
        yield _single_profiles(path, lim), []
        return
    problems: list[RawProblem] = []
    try:
        chunks: Iterator[pl.DataFrame]
        if sheet is None and is_parquet(path):
            lf = None
            chunks = iter_parquet_chunks(path, chunk_rows, limits=lim, problems=problems)
        elif sheet is None:
            lf = scan_table(path, problems, limits=lim)
            chunks = lf.collect_batches(chunk_size=chunk_rows, engine="streaming")
        else:
            table = read_table(path, sheet=sheet, limits=lim)
            lf, problems = table.frame.lazy(), table.problems
            chunks = lf.collect_batches(chunk_size=chunk_rows, engine="streaming")
        first = True
        for chunk in chunks:
            yield chunk, problems if first else []
            first = False
        if first and lf is not None:  # no data rows at all: still report the file's problems
            yield lf.clear().collect(), problems
    except IntakeError as exc:
        raise PolicyMatchError(str(exc)) from exc
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
        # a damaged file can make polars panic (a BaseException): unreadable, not a crash
        raise PolicyMatchError(f"读取文件「{path}」失败：{exc}") from exc


def run_batch(
    path: Path,
    rules: Sequence[Rule],
    as_of: dt.date,
    *,
    lang: str = "zh",
    out: Path | None = None,
    statuses: Sequence[str] = (),
    errors_out: Path | None = None,
    sheet: str | None = None,
    overrides: dict[str, str] | None = None,
    keep_frames: bool = False,
    progress: Callable[[int], None] | None = None,
    brief: bool = False,
    region_context: str | None = None,
    limits: Limits | None = None,
    strict_headers: bool = False,
) -> BatchRun:
    """Stream the portfolio chunk by chunk: normalise, evaluate, rank, write as produced."""
    from matcher.report.columns import error_report
    from matcher.report.files import DirectFile, atomic_path, neutralise

    # Normalising pays per call, so it runs on large read chunks; evaluation makes
    # n_rules rows per enterprise, so it runs on slices that bound the result size.
    eval_rows = min(READ_CHUNK_ROWS, max(1_000, CHUNK_RESULT_ROWS // max(1, len(rules))))
    columns = BRIEF_COLUMNS if brief else RESULT_COLUMNS
    # Rule texts stay categorical only on the way to a CSV file.
    categorical = out is not None and not keep_frames
    evaluator = Evaluator(
        rules,
        as_of,
        lang,
        columns,
        texts="categorical" if categorical else "string",
        ask_first=True,
    )
    run = BatchRun()
    counts: list[pl.DataFrame] = []
    samples: list[pl.DataFrame] = []
    with contextlib.ExitStack() as stack:
        out_file = None
        if out is not None and not keep_frames:
            out_file = DirectFile(stack.enter_context(atomic_path(out)))
            stack.callback(out_file.close)
        err_file = None
        if errors_out is not None:
            err_file = stack.enter_context(atomic_path(errors_out)).open("wb")
            stack.callback(err_file.close)
        first_out = first_err = True
        # The report is written by one background thread (polars releases the GIL),
        # so slice n is written while slice n+1 is evaluated; order is kept by
        # waiting for the previous write before queueing the next.
        writer = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        pending: Future[None] | None = None
        # Lean batch: only the fields the rules read (and id, name) are parsed, checked
        # and resolved; the other columns are still mapped and accounted for, and their
        # problems are `profile check`'s to report (issue 16).
        # The credit code is read too: it is how a firm entered twice is recognised.
        needed = input_fields(rules) | {"credit_code"}
        chunks = iter_raw_chunks(path, sheet=sheet, chunk_rows=READ_CHUNK_ROWS, limits=limits)
        intake = Intake(overrides, rules, strict_headers, region_context, lang, fields=needed)
        reader = stack.enter_context(ThreadPoolExecutor(max_workers=READ_AHEAD))
        neutral = out_file is not None

        def widen(portfolio: Portfolio) -> Portfolio:
            # A chunk's first slice used to pay for the whole chunk's wide pass, on the
            # main thread, while the writer waited: the reader thread does it ahead.
            portfolio.wide = wide_frame(evaluator, portfolio, neutralise_inputs=neutral)
            return portfolio

        for portfolio in _read_ahead(chunks, intake, reader, limits, then=widen):
            run.note(portfolio)
            slices = report_slices(
                evaluator,
                portfolio,
                rules=rules,
                lang=lang,
                statuses=statuses,
                brief=brief,
                neutralise_inputs=neutral,
                plans=run.plans,
                eval_rows=eval_rows,
                wide=portfolio.wide,
            )
            portfolio.wide = None  # held by the slices alone, freed with them
            for piece in slices:
                counts.append(piece.counts)
                if out_file is not None:
                    chunk = piece.shown.collect()
                    if pending is not None:
                        pending.result()
                    pending = writer.submit(_write_chunk, chunk, out_file, first_out)
                    first_out = False
                elif keep_frames:
                    run.frames.append(piece.shown.collect())
                run.written += piece.written
                if progress is not None:
                    progress(piece.enterprises)
            if progress is not None and portfolio.rejected:
                progress(portfolio.rejected)  # rejected rows are read too
            _note_errors(run, samples, portfolio.errors, lang, intake.needed)
            if err_file is not None and portfolio.errors.height:
                neutralise(error_report(portfolio.errors, lang)).collect().write_csv(
                    err_file, include_header=first_err, include_bom=first_err
                )
                first_err = False
        if pending is not None:
            pending.result()
        extra = intake_rows(run.account, run.skipped, run.duplicates, lang)
        if err_file is not None and extra.height:
            neutralise(extra).collect().write_csv(
                err_file, include_header=first_err, include_bom=first_err
            )
            first_err = False
        if err_file is not None and first_err:  # no problems: still a file with its header
            error_report(portfolio_errors_schema(), lang).write_csv(err_file, include_bom=True)
    run.summary = evaluator.summary(counts)
    if samples:
        run.error_sample = pl.concat(samples, how="vertical_relaxed")
    return run


def _read_ahead(
    chunks: Iterator[tuple[pl.DataFrame, list[RawProblem]]],
    intake: Intake,
    reader: ThreadPoolExecutor,
    limits: Limits | None,
    depth: int = READ_AHEAD,
    then: Callable[[Portfolio], Portfolio] | None = None,
) -> Iterator[Portfolio]:
    """The chunks normalised in order, up to ``depth`` chunks ahead in ``reader``'s
    threads while the caller evaluates the current one (polars releases the GIL, so
    both cores work). Each chunk is read on its own (Intake.read); what spans chunks
    (firms already seen) follows in input order, in the reader threads too (see
    :func:`_read_in_turn`), then ``then`` runs on it there; errors come in input order."""
    pending: collections.deque[Future[Portfolio]] = collections.deque()
    before: Future[None] | None = None
    try:
        for i in itertools.count():
            try:
                raw, problems = next(chunks)
            except StopIteration:
                break
            except BaseException:
                while pending:  # a problem of a chunk before is reported first
                    pending.popleft().result()
                raise
            turn: Future[None] = Future()
            pending.append(
                reader.submit(
                    _read_in_turn, intake, before, turn, raw, problems, i == 0, limits, then
                )
            )
            before = turn
            del raw
            if i == 0:
                # The first chunk resolves every distinct region, industry and scope for the
                # first time, in Python: run alone, it is not slowed by the next chunk racing
                # it for the GIL and for the same unresolved texts, which it leaves resolved.
                wait(pending)
            if len(pending) > depth:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for step in pending:  # stopped early (an error, a closed generator): read no further
            step.cancel()


def _read_in_turn(
    intake: Intake,
    before: Future[None] | None,
    turn: Future[None],
    raw: pl.DataFrame,
    problems: list[RawProblem],
    first: bool,
    limits: Limits | None,
    then: Callable[[Portfolio], Portfolio] | None = None,
) -> Portfolio:
    """Read one chunk, then follow (Intake.follow) once the chunk before has: the main
    thread no longer pays for it between two chunks while the writer waits. Chunks are
    taken from the pool in input order, so ``before`` always runs. After a chunk that
    failed none follows: that failure is reported first and ends the run."""
    try:
        portfolio = intake.read(raw, problems, first=first, limits=limits)
        if before is not None:
            before.result()
        portfolio = intake.follow(portfolio)
    except BaseException as exc:
        turn.set_exception(exc)
        raise
    turn.set_result(None)
    return portfolio if then is None else then(portfolio)


@dataclass
class ReportSlice:
    enterprises: int  # enterprises evaluated in this slice
    coded: pl.DataFrame  # the results, English statuses (only those kept, with ask-first on codes)
    written: int  # report rows kept (after --only)
    shown: pl.LazyFrame  # the report rows, localised
    counts: pl.DataFrame  # Evaluator.counts of every enterprise × rule


def report_slices(
    evaluator: Evaluator,
    portfolio: Portfolio,
    *,
    rules: Sequence[Rule],
    lang: str = "zh",
    statuses: Sequence[str] = (),
    brief: bool = False,
    neutralise_inputs: bool = True,
    plans: list[pl.DataFrame] | None = None,
    eval_rows: int = CHUNK_RESULT_ROWS,
    wide: pl.DataFrame | None = None,
) -> Iterator[ReportSlice]:
    """The batch step for one normalised chunk: evaluate, rank, shape the report.

    Yields one :class:`ReportSlice` per at most ``eval_rows`` enterprises. The local
    batch and the Spark engine both call this, so their reports cannot drift apart.
    ``wide`` is the chunk's :func:`wide_frame` if it was computed ahead."""
    from matcher.evaluate.questions_frame import with_ask_first
    from matcher.report.columns import localise_results

    if wide is None:
        wide = wide_frame(evaluator, portfolio, neutralise_inputs=neutralise_inputs)
    # One (possibly empty) slice at least, so an empty input still gets a header.
    for start in range(0, wide.height or 1, eval_rows):
        part = wide.slice(start, eval_rows)
        # With ask-first on codes, --only is applied before the report's texts are built.
        folded = evaluator.ask is not None
        tallies: list[pl.DataFrame] = []
        coded = evaluator.long(
            part,
            portfolio.passthrough,
            codes=True,
            plans=plans,
            statuses=statuses if folded else (),
            tallies=tallies,
        ).collect()
        result = coded
        if "missing" in result.columns and not folded:  # issue 13: what to ask first
            result = with_ask_first(result, rules, lang, plans)
        if statuses and not folded:
            result = result.filter(pl.col("status").is_in(list(statuses)))
        brief_cols = [*BRIEF_COLUMNS, "ask_first"]  # issue 13: what to ask first
        shown_cols = [*brief_cols, *portfolio.passthrough] if brief else None
        body = (
            result.lazy().drop(ROW, "__rule", "__status")
            if shown_cols is None
            else result.lazy().select(col(c) for c in shown_cols)
        )
        shown = localise_results(body, lang)
        counts = tallies[0] if tallies else evaluator.counts(coded)  # no rules: no tally
        yield ReportSlice(part.height, coded, result.height, shown, counts)


def wide_frame(
    evaluator: Evaluator, portfolio: Portfolio, *, neutralise_inputs: bool = True
) -> pl.DataFrame:
    """Evaluator.wide of a normalised chunk: one row per enterprise, row by row."""
    from matcher.report.files import neutralise

    wide = evaluator.wide(evaluator.prepare(portfolio.frame), portfolio.passthrough)
    if neutralise_inputs:
        # Only input text can start a formula (rule texts were made safe once);
        # done per enterprise, before each value is repeated for every rule.
        inputs = ["enterprise_id", "enterprise_name", *portfolio.passthrough]
        wide = neutralise(wide, inputs).collect()
    return wide


def _note_errors(
    run: BatchRun,
    samples: list[pl.DataFrame],
    errors: pl.DataFrame,
    lang: str,
    needed: Collection[str] | None = None,
) -> None:
    """Count a chunk's problems and keep the first ones, with messages, for the console;
    problems in fields no loaded rule reads are counted as warnings."""
    from matcher.normalize import error_messages

    run.errors += errors.height
    if needed is not None and errors.height:
        run.warnings += errors.filter(minor_problem(needed)).height
    if errors.height and sum(x.height for x in samples) < 200:
        minor = minor_problem(needed) if needed is not None else pl.lit(False)
        samples.append(
            errors.with_columns(error_messages(errors, lang).alias("message"), minor.alias("minor"))
        )


def portfolio_errors_schema() -> pl.DataFrame:
    from matcher.normalize import ERROR_COLUMNS

    return pl.DataFrame(
        schema={c: pl.String for c in ERROR_COLUMNS} | {"row": pl.Int64, "rejected": pl.Boolean}
    )


def _write_chunk(chunk: pl.DataFrame, out_file: Any, first: bool) -> None:
    start = out_file.tell() if out_file.seekable() else None
    chunk.write_csv(out_file, include_header=first, include_bom=first)
    if start is not None:
        drop_from_cache(out_file, start)


@dataclass
class Found:
    result: pl.DataFrame  # the listed enterprises, one row each, ranked for calling
    missing_counts: pl.DataFrame  # field, n: among the unknown
    counts: dict[str, int] = field(default_factory=dict)  # every status, all enterprises
    total_amount_yuan: float = 0.0  # over the eligible


FIND_STATUSES = ("eligible", "unknown", "ineligible", "expired", "not_yet_valid")


def find(
    path: Path,
    rule: Rule,
    as_of: dt.date,
    lang: str = "zh",
    *,
    statuses: Sequence[str] = FIND_STATUSES,
    top: int | None = None,
    sheet: str | None = None,
    overrides: dict[str, str] | None = None,
    region_context: str | None = None,
    limits: Limits | None = None,
    strict_headers: bool = False,
) -> tuple[Found, BatchRun]:
    """政策找人: the enterprises for one policy, most money and most certain first.

    Streams the portfolio like run_batch, but one rule needs no unpivot and no
    per-enterprise ranking: each chunk is one select, counted, then cut to the
    listed statuses (and to the best ``top``) before anything is kept.
    """
    from matcher.evaluate.tree import STATUS_ORDER
    from matcher.evaluate.vector import compile_rule

    run = BatchRun()
    parts: list[pl.DataFrame] = []
    missing_parts: list[pl.DataFrame] = []
    count_parts: list[pl.DataFrame] = []
    samples: list[pl.DataFrame] = []
    evaluator = Evaluator([rule], as_of, lang)
    compiled = compile_rule(rule, as_of, lang)
    order = pl.col("status").replace_strict(STATUS_ORDER, return_dtype=pl.Int8)
    sort_by = [order, "amount_yuan", ROW]
    descending = [False, True, False]
    # Only the fields this rule reads are parsed and checked: a problem in another
    # column cannot change who should be called.
    needed = input_fields([rule])
    chunks = iter_raw_chunks(path, sheet=sheet, chunk_rows=READ_CHUNK_ROWS, limits=limits)
    intake = Intake(overrides, [rule], strict_headers, region_context, lang, needed)
    for i, (raw, problems) in enumerate(chunks):
        portfolio = intake.chunk(raw, problems, first=i == 0, limits=limits)
        del raw
        run.note(portfolio)
        _note_errors(run, samples, portfolio.errors, lang, intake.needed)
        evaluated = (
            evaluator.prepare(portfolio.frame)
            .lazy()
            .select(
                pl.col(ROW),
                pl.col("id").alias("enterprise_id"),
                pl.col("name").alias("enterprise_name"),
                compiled.status.alias("status"),
                compiled.amount.alias("amount_yuan"),
                amount_note_expr(rule, lang).alias("amount_note"),
                compiled.met.alias("met"),
                compiled.unmet.alias("unmet"),
                compiled.missing.alias("missing"),
                *[col(c) for c in portfolio.passthrough],
            )
            .collect()
        )
        count_parts.append(
            evaluated.group_by("status").agg(
                pl.len().alias("n"), pl.col("amount_yuan").sum().alias("amount")
            )
        )
        missing_parts.append(
            evaluated.lazy()
            .filter(pl.col("status") == "unknown")
            .select(pl.col("missing").str.split(SEP).alias("field"))
            .explode("field")
            .filter(pl.col("field") != "")
            .group_by("field")
            .agg(pl.len().alias("n"))
            .collect()
        )
        listed = evaluated.filter(pl.col("status").is_in(list(statuses)))
        if top is not None:
            listed = listed.sort(sort_by, descending=descending, nulls_last=True).head(top)
        parts.append(listed)
    if samples:
        run.error_sample = pl.concat(samples, how="vertical_relaxed")
    table = rule_table([rule], lang).row(0, named=True)
    result = pl.concat(parts, how="diagonal_relaxed").sort(
        sort_by, descending=descending, nulls_last=True
    )
    if top is not None:
        result = result.head(top)
    result = result.select(
        (pl.int_range(pl.len()) + 1).cast(pl.Int32).alias("rank"),
        *[
            pl.lit(table[c], dtype=pl.String).alias(c) if c in RULE_CONSTANTS else pl.col(c)
            for c in RESULT_COLUMNS
            if c != "rank"
        ],
        *[col(c) for c in result.columns if c not in RESULT_COLUMNS and c != ROW],
    )
    counts = pl.concat(count_parts).group_by("status").agg(pl.col("n", "amount").sum())
    by_status = {s: (n, a) for s, n, a in counts.iter_rows()}
    missing_counts = (
        pl.concat(missing_parts)
        .group_by("field")
        .agg(pl.col("n").sum())
        .sort(["n", "field"], descending=[True, False])
    )
    return Found(
        result,
        missing_counts,
        counts={s: int(by_status.get(s, (0, 0))[0]) for s in FIND_STATUSES},
        total_amount_yuan=float(by_status.get("eligible", (0, 0.0))[1] or 0.0),
    ), run


def find_summary(found: Found) -> dict[str, Any]:
    return {
        "counts": dict(found.counts),
        "total_amount_yuan": found.total_amount_yuan,
        "top_missing": found.missing_counts.head(5).rows(),
    }


__all__ = ["NEWSLETTER_DATE", "ROW", "load_portfolio", "load_ruleset", "results", "summary"]


def intake_rows(
    account: ColumnAccount | None,
    skipped: SkippedRows | None,
    duplicates: Sequence[Duplicate],
    lang: str = "zh",
) -> pl.DataFrame:
    """The column report, skipped rows and repeated firms as rows of the errors file
    (same columns as :func:`matcher.report.columns.error_report`, never rejecting)."""
    from matcher.report.columns import ERROR_HEADERS_ZH, ERROR_REPORT_COLUMNS, localise

    zh = lang != "en"
    rows: list[dict[str, Any]] = []
    for e in account.unused if account is not None else []:
        line = ColumnAccount((e,), account.strict if account else False).render(lang)[1]
        rows.append({"column": e.header, "field": e.field, "message": line.strip()})
    for d in duplicates:
        rows.append(
            {"row": d.row, "id": d.id, "field": d.by, "value": d.key, "message": d.message(lang)}
        )
    if skipped is not None:
        for n in skipped.totals:
            rows.append(
                {"row": n, "message": "合计行，不是企业，已跳过" if zh else "totals row skipped"}
            )
        for n in skipped.notes:
            rows.append(
                {
                    "row": n,
                    "message": "表尾注释，不是企业，已跳过" if zh else "footnote row skipped",
                }
            )
    schema: dict[str, Any] = {c: pl.String for c in ERROR_REPORT_COLUMNS} | {"row": pl.Int64}
    frame = pl.DataFrame(
        [{c: r.get(c) for c in ERROR_REPORT_COLUMNS if c != "rejected"} for r in rows],
        schema={c: t for c, t in schema.items() if c != "rejected"},
    ).with_columns((pl.lit("否") if lang == "zh" else pl.lit(False)).alias("rejected"))
    return localise(frame.select(ERROR_REPORT_COLUMNS), ERROR_HEADERS_ZH, lang)


def intake_json(source: Any) -> dict[str, Any]:
    """The column report, skipped rows and repeated firms for JSON output."""
    account = source.account
    skipped = source.skipped
    return {
        "columns": account.to_dict() if account is not None else None,
        "skipped": {"totals": list(skipped.totals), "notes": list(skipped.notes)}
        if skipped is not None
        else None,
        "duplicates": [d.to_dict() for d in source.duplicates],
    }
