"""`policy-match serve`: the web service, local by default."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from matcher.errors import PolicyMatchError

if TYPE_CHECKING:
    from matcher.web.settings import Settings


def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址，默认只允许本机访问")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="判定日期 YYYY-MM-DD，默认每天的当天")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", help="顾问口令（也可用环境变量 POLICY_MATCH_TOKEN）；不设则不开放顾问页面"
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="保存企业提交（SQLite）的目录；不设则不写任何文件"),
    ] = None,
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="追加规则目录")] = None,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", help="上传与请求大小上限（MB）")
    ] = 5.0,
    max_rows: Annotated[int, typer.Option("--max-rows", help="上传名单的行数上限")] = 5_000,
    max_batch: Annotated[
        int, typer.Option("--max-batch", help="POST /api/batch 一次的企业数上限")
    ] = 200,
    timeout: Annotated[float, typer.Option("--timeout", help="单个请求的处理时限（秒）")] = 60.0,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="工作进程数，默认 1；多核机器上可设为核数以提高吞吐（每个进程各自加载规则）",
        ),
    ] = 1,
) -> None:
    """启动网页服务：企业填报页、顾问页面（上传名单、下载报告、查看企业提交）和 JSON 接口。

    Example: policy-match serve --as-of 2022-07-01 --token 口令 --data-dir ./submissions
    """
    _require_web()
    settings = _settings(as_of, token, data_dir, rules, max_upload_mb, max_rows, max_batch, timeout)
    if data_dir is None:
        _temporary_files_in_memory()
    typer.echo(f"policy-match 服务：http://{host}:{port}/ （接口说明 /docs）", err=True)
    _run(settings, host, port, workers)


def _require_web() -> None:
    """The web extra is installed, or the error says how to install it."""
    try:
        import uvicorn  # noqa: F401

        from matcher.web.app import create_app, settled  # noqa: F401
    except ImportError as exc:
        raise PolicyMatchError(
            f"网页服务所需的组件没有安装（{exc.name}）", "pip install 'policy-match[web]'"
        ) from None


def _settings(
    as_of: str | None,
    token: str | None,
    data_dir: Path | None,
    rules: list[Path] | None,
    max_upload_mb: float,
    max_rows: int,
    max_batch: int,
    timeout: float,
) -> Settings:
    """The server's settings from the options (the token also from the environment); an
    --as-of that is not a date is refused."""
    from matcher.web.settings import Settings

    try:
        date = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise PolicyMatchError(
            f"--as-of「{as_of}」不是日期", "请写成 YYYY-MM-DD，如 2022-07-01"
        ) from None
    return Settings(
        as_of=date,
        token=Settings.token_from_env(token),
        data_dir=data_dir,
        rules=tuple(rules or ()),
        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
        max_rows=max_rows,
        max_batch=max_batch,
        timeout_seconds=timeout,
    )


def _temporary_files_in_memory() -> None:
    """Without --data-dir nothing goes to disk: intake's temporary copies (a GB18030 CSV is
    transcoded first) go to memory too, where there is a /dev/shm."""
    if Path("/dev/shm").is_dir():
        import tempfile

        tempfile.tempdir = "/dev/shm"


def _run(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve in this process, or in ``workers`` processes that each build their own app
    from the same settings (and cookie secret), handed over in an environment variable."""
    import uvicorn

    from matcher.web.app import create_app, settled

    if workers > 1:
        import os

        from matcher.web.settings import WORKER_ENV

        os.environ[WORKER_ENV] = settings.to_json()
        uvicorn.run(
            "matcher.web.app:worker_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,  # not logged at "warning" anyway: not even formed
            timeout_keep_alive=5,
        )
        return
    uvicorn.run(
        settled(create_app(settings)),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=5,
    )
