"""`batch --engine spark`: the local batch's chunk step run inside Spark tasks.

Spark reads the portfolio (Parquet, or CSV with one record per line) from any path it can
read, hands each partition to Python as Arrow record batches (``mapInArrow``), and each
task runs what the local batch runs on a chunk: ``Intake.chunk`` (normalise, resolve,
drop repeated firms) then ``api.report_slices`` (evaluate, rank, ask-first, --only,
localise). The report goes back to Spark as Arrow and is written as a folder of part
files (Parquet or CSV), one or more per input partition.

What differs from the local batch, by construction:

* a firm entered twice is found by a first, light pass (only id, name and credit code are
  parsed) and dropped where the local batch drops it, but not reported; the region-context
  hint is per task and not printed;
* row numbers (the id of a firm without one) are file rows, as locally, only for a single
  input file: for a folder they follow Spark's order of the parts;
* CSV is read by Spark (UTF-8, comma, a header row, one record per line): no title rows,
  two-row headers, encodings or separators are guessed, as the local reader does;
* no --errors file, summary or collection plan: the report only.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from matcher.errors import PolicyMatchError
from matcher.records import record
from matcher.rule import Rule

# Raw rows normalised at a time inside a task (as api.READ_CHUNK_ROWS for the local batch).
TASK_CHUNK_ROWS = 100_000
_PID, _MID = "__spark_pid", "__spark_mid"
OUT_BATCH_ROWS = 65_536  # report rows per Arrow batch handed back to Spark


def _keys_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [("key", pa.string()), ("row", pa.int64()), ("id", pa.string()), ("pid", pa.int32())]
    )


@record
class SparkJob:
    """Everything a task needs; pickled once and shipped to the executors."""

    rules: tuple[Rule, ...]
    as_of: dt.date
    lang: str = "zh"
    statuses: tuple[str, ...] = ()
    brief: bool = False
    overrides: dict[str, str] | None = None
    region_context: str | None = None
    strict_headers: bool = False
    # Partition → the file row number of its first row (rows are numbered from 2, as locally).
    offsets: dict[int, int] = field(default_factory=dict)
    # Partition → firms whose first row lies in another partition (key → first row, id):
    # seeded into the task's Intake so a firm repeated across partitions is dropped as
    # the local batch drops it.
    seen_elsewhere: dict[int, dict[str, tuple[int, str | None]]] = field(default_factory=dict)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class SparkRun:
    read: int = 0
    written: int = 0
    partitions: int = 0
    out: str = ""
    rejected: int = 0  # input rows refused (listed by profile check or the local batch)


_EVALUATORS: dict[str, Any] = {}  # per Python worker: compiled once per job


def _evaluator(job: SparkJob) -> Any:
    from matcher.api import BRIEF_COLUMNS, RESULT_COLUMNS, Evaluator

    ev = _EVALUATORS.get(job.token)
    if ev is None:
        columns = BRIEF_COLUMNS if job.brief else RESULT_COLUMNS
        # ask-first on the integer codes, as run_batch does (same report, less CPU)
        ev = Evaluator(job.rules, job.as_of, job.lang, columns, ask_first=True)
        _EVALUATORS.clear()
        _EVALUATORS[job.token] = ev
    return ev


def raw_frame(table: Any, job: SparkJob) -> Any:
    """An Arrow table from Spark as the local reader's raw chunk: the file row number,
    then every column as text (typed Parquet columns rendered as the reader renders
    them), "" as null, blank rows dropped."""
    from matcher.fields import ROW
    from matcher.frame import pl
    from matcher.intake.readers import finish_lazy, render_text

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    pid, mid = pl.col(_PID), pl.col(_MID)
    offsets = pl.DataFrame(
        {_PID: list(job.offsets), "__offset": list(job.offsets.values())},
        schema={_PID: frame.schema[_PID], "__offset": pl.Int64},
    )
    # monotonically_increasing_id: the partition in the upper 31 bits, the row below.
    local = (mid - pid.cast(pl.Int64) * (1 << 33)).cast(pl.Int64)
    frame = frame.join(offsets, on=_PID, how="left", maintain_order="left").with_columns(
        (pl.col("__offset") + local).alias(ROW)
    )
    names = [c for c in table.column_names if c not in (_PID, _MID)]
    lf = frame.lazy().select(
        pl.col(ROW), *(render_text(pl.col(n), frame.schema[n]).alias(n) for n in names)
    )
    return finish_lazy(lf, names).collect()


def run_task(
    batches: Iterator[Any],
    job: SparkJob,
    out_schema: Any,
    counter: Any = None,
    rejected: Any = None,
) -> Iterator[Any]:
    """One Spark task: normalise and match its rows in chunks, yield the report."""
    import pyarrow as pa

    state = _TaskState(job, rejected)
    pending: list[Any] = []
    rows = 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= TASK_CHUNK_ROWS:
            yield from _conform(state.report(pa.Table.from_batches(pending)), out_schema, counter)
            pending, rows = [], 0
    if pending:
        yield from _conform(state.report(pa.Table.from_batches(pending)), out_schema, counter)


def _conform(tables: Iterator[Any], schema: Any, counter: Any) -> Iterator[Any]:
    for table in tables:
        if counter is not None:
            counter.add(table.num_rows)
        # Small batches: the JVM allocates one buffer per batch, within its direct memory.
        yield from table.select(schema.names).cast(schema).to_batches(OUT_BATCH_ROWS)


class _TaskState:
    """What spans the chunks of one task: the compiled rules and the firms already seen."""

    def __init__(self, job: SparkJob, rejected: Any = None) -> None:
        from matcher.api import Intake
        from matcher.normalize import input_fields

        self.job = job
        self.evaluator = _evaluator(job)
        needed = input_fields(job.rules) | {"credit_code"}
        self.intake = Intake(
            job.overrides,
            job.rules,
            job.strict_headers,
            job.region_context,
            job.lang,
            fields=needed,
        )
        self.first = True
        self.rejected = rejected  # a Spark accumulator: rows refused by normalising

    def report(self, table: Any) -> Iterator[Any]:
        """The report of one chunk of raw rows, as Arrow tables (one per slice)."""
        from matcher.api import CHUNK_RESULT_ROWS, READ_CHUNK_ROWS, report_slices

        # As run_batch: slices of enterprises that bound the enterprise × rule rows.
        n_rules = max(1, len(self.job.rules))
        eval_rows = min(READ_CHUNK_ROWS, max(1_000, CHUNK_RESULT_ROWS // n_rules))
        if self.first and table.num_rows:
            pid = int(table.column(_PID)[0].as_py())
            self.intake.seen.update(self.job.seen_elsewhere.get(pid, {}))
        portfolio = self.intake.chunk(raw_frame(table, self.job), [], first=self.first)
        self.first = False
        if self.rejected is not None:
            self.rejected.add(portfolio.rejected)
        for piece in report_slices(
            self.evaluator,
            portfolio,
            rules=self.job.rules,
            lang=self.job.lang,
            statuses=self.job.statuses,
            brief=self.job.brief,
            eval_rows=eval_rows,
        ):
            yield piece.shown.collect().to_arrow()


def _firm_keys(batches: Iterator[Any], job: SparkJob) -> Iterator[Any]:
    """Pass 1: each firm's duplicate key, first row and id in this partition (only the
    fields the key reads are parsed)."""
    import pyarrow as pa

    from matcher.api import Intake
    from matcher.frame import pl
    from matcher.intake.duplicates import duplicate_key

    intake = Intake(job.overrides, (), False, job.region_context, job.lang)
    intake.fields = {"id", "name", "credit_code"}
    for batch in batches:
        table = pa.Table.from_batches([batch])
        if not table.num_rows:
            continue
        pid = int(table.column(_PID)[0].as_py())
        frame = intake.chunk(raw_frame(table, job), [], first=False).frame
        if frame.is_empty():
            continue
        keys = frame.select(
            duplicate_key(frame).alias("key"),
            pl.col("__row").alias("row"),
            pl.col("id").cast(pl.String).alias("id"),
            pl.lit(pid, dtype=pl.Int32).alias("pid"),
        ).drop_nulls("key")
        yield from keys.to_arrow().cast(_keys_schema()).to_batches()


def _seen_elsewhere(df: Any, job: SparkJob) -> dict[int, dict[str, tuple[int, str | None]]]:
    """Firms found in several partitions: for each partition that holds a later row of
    one, the key with the first row and id (collected to the driver: they are few)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    def task(batches: Iterator[Any]) -> Iterator[Any]:
        return _firm_keys(batches, job)

    keys = df.mapInArrow(task, from_arrow_schema(_keys_schema()))
    first = Window.partitionBy("key").orderBy("row")
    spread = (
        keys.withColumn("n_pid", F.size(F.collect_set("pid").over(Window.partitionBy("key"))))
        .filter(F.col("n_pid") > 1)
        .withColumn("first_row", F.first("row").over(first))
        .withColumn("first_id", F.first("id").over(first))
        .withColumn("first_pid", F.first("pid").over(first))
        .filter(F.col("pid") != F.col("first_pid"))
        .select("pid", "key", "first_row", "first_id")
        .distinct()
    )
    out: dict[int, dict[str, tuple[int, str | None]]] = {}
    for row in spread.collect():
        out.setdefault(int(row["pid"]), {})[row["key"]] = (int(row["first_row"]), row["first_id"])
    return out


def _report_schema(sample: Any, job: SparkJob) -> Any:
    """The Arrow schema of the report, from running the chunk step on a few rows."""
    import pyarrow as pa

    schema = next(_TaskState(job).report(sample)).schema
    # Spark's Arrow reader wants plain strings: Enum and large strings become utf8.
    plain = (pa.types.is_large_string, pa.types.is_string_view, pa.types.is_dictionary)
    return pa.schema(
        pa.field(f.name, pa.string()) if any(t(f.type) for t in plain) else f for f in schema
    )


def spark_session(master: str, app: str = "policy-match") -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise PolicyMatchError(
            "未安装 pyspark，无法使用 --engine spark",
            "pip install 'policy-match[spark]'（还需要 Java 17 运行环境）",
        ) from None
    # Workers must run this interpreter: it has polars, pyarrow and matcher.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def read_input(spark: Any, path: str) -> Any:
    """The portfolio as Spark rows: Parquet as typed, CSV as text."""
    lower = path.lower().rstrip("/")
    if lower.endswith(".csv") or lower.endswith(".txt") or lower.endswith(".tsv"):
        df = (
            spark.read.option("header", True)
            .option("inferSchema", False)
            .option("encoding", "UTF-8")
            .option("multiLine", False)
            .csv(path)
        )
        # A UTF-8 byte-order mark sticks to the first header.
        first = df.columns[0] if df.columns else ""
        if first.startswith("\ufeff"):
            df = df.withColumnRenamed(first, first.lstrip("\ufeff"))
        return df
    return spark.read.parquet(path)


def run_spark_batch(
    path: str,
    out: str,
    rules: Sequence[Rule],
    as_of: dt.date,
    *,
    lang: str = "zh",
    statuses: Sequence[str] = (),
    brief: bool = False,
    overrides: dict[str, str] | None = None,
    region_context: str | None = None,
    strict_headers: bool = False,
    master: str = "local[*]",
    out_format: str = "parquet",
    spark: Any = None,
) -> SparkRun:
    """The portfolio at ``path`` (any Spark-readable path) matched on Spark; the report is
    written to the folder ``out`` as Parquet or CSV part files."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    if out_format not in ("parquet", "csv"):
        raise PolicyMatchError(f"不支持的输出格式「{out_format}」", "可用：parquet、csv")
    session = spark or spark_session(master)
    df = read_input(session, path)
    df = df.select(
        "*", F.spark_partition_id().alias(_PID), F.monotonically_increasing_id().alias(_MID)
    )
    counts = {row[0]: row[1] for row in df.groupBy(_PID).count().collect()}
    offsets, start = {}, 2  # row 1 is the header
    for pid in sorted(counts):
        offsets[int(pid)], start = start, start + int(counts[pid])
    job = SparkJob(
        tuple(rules),
        as_of,
        lang,
        tuple(statuses),
        brief,
        overrides,
        region_context,
        strict_headers,
        offsets,
    )
    if len(counts) > 1:
        job = replace(job, seen_elsewhere=_seen_elsewhere(df, job))
    sample = df.limit(20).toArrow()
    if sample.num_rows:  # a sample from one partition: number its rows from 2
        import pyarrow as pa

        sample = sample.set_column(
            sample.column_names.index(_PID), _PID, pa.array([0] * sample.num_rows, pa.int32())
        ).set_column(
            sample.column_names.index(_MID), _MID, pa.array(range(sample.num_rows), pa.int64())
        )
    schema_job = SparkJob(
        job.rules, as_of, lang, (), brief, overrides, region_context, strict_headers, {0: 2}
    )
    out_schema = _report_schema(sample, schema_job)
    spark_schema = from_arrow_schema(out_schema)

    counter = session.sparkContext.accumulator(0)
    rejected = session.sparkContext.accumulator(0)

    def task(batches: Iterator[Any]) -> Iterator[Any]:
        return run_task(batches, job, out_schema, counter, rejected)

    report = df.mapInArrow(task, spark_schema)
    writer = report.write.mode("errorifexists")
    try:
        if out_format == "csv":
            writer = writer.option("header", True).option("escape", '"').option("emptyValue", "")
            writer.csv(out)
        else:
            writer.parquet(out)
    except Exception as exc:  # the job failed on the cluster: say so in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PolicyMatchError(
            f"Spark 作业失败：{first[:300]}",
            "查看 Spark 日志（执行器的错误在其中）；输出文件夹已存在时请换一个",
        ) from exc
    return SparkRun(sum(counts.values()), counter.value, len(counts), out, rejected.value)
