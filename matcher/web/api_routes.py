"""The JSON API a 政务 platform calls; OpenAPI at /openapi.json and /docs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from matcher.batch import audience_text, source_text, valid_until_text
from matcher.rule import KIND_ZH
from matcher.suggest import did_you_mean
from matcher.web.engine import (
    HEADER_OF,
    Unencodable,
    UnknownFields,
    canonical,
    result_json,
    shown,
)
from matcher.web.state import Web, web

router = APIRouter(prefix="/api", tags=["api"])


class FastJSON(JSONResponse):
    """json.dumps straight away: FastAPI's generic encoder costs about 2.5 ms on a
    49-result answer, ten times the plain dump (the values are JSON types already).
    Bytes are JSON already encoded the same way, sent as they are."""

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


Value = str | int | float | bool | list[str] | None


class MatchRequest(BaseModel):
    profile: dict[str, Value] = Field(
        description="企业画像：键为字段名（如 name、region）或中文表头（如 企业名称、所在地区）；"
        "空值表示未知。字段见 policy-match profile schema。",
        examples=[
            {
                "企业名称": "北京智码软件科技有限公司",
                "所在地区": "北京市海淀区",
                "其中本地高校毕业生人数": 4,
            }
        ],
    )
    as_of: dt.date | None = Field(
        None, description="判定日期，默认为服务的判定日期（--as-of）或今天"
    )


class BatchRequest(BaseModel):
    profiles: list[dict[str, Value]] = Field(
        description="多家企业的画像，条数有上限（--max-batch）"
    )
    as_of: dt.date | None = None


def _canonical_or_422(profile: dict[str, Any], where: str = "") -> dict[str, Any]:
    try:
        return canonical(profile)
    except UnknownFields as exc:
        names = "、".join(f"「{shown(n)}」{did_you_mean(n, list(HEADER_OF))}" for n in exc.names)
        raise HTTPException(
            422,
            f"{where}未知字段 {names}；可用字段见 GET /api/fields 或 policy-match profile schema",
        ) from None
    except Unencodable as exc:
        raise HTTPException(
            422,
            f"{where}{exc.name}：取值「{exc.value}」含单独的 UTF-16 代理项（\\ud800–\\udfff），"
            "不是可读的文字；请检查来源数据的编码后重新提交",
        ) from None


def _rejected(errors: list[Any], where: str = "") -> HTTPException:
    text = "；".join(f"{e.label}：{e.message}" for e in errors if e.rejected) or "企业画像无法处理"
    return HTTPException(422, f"{where}{text}")


@router.post("/match", summary="一家企业 → 排好序的政策匹配结果", response_class=FastJSON)
async def match(body: MatchRequest, request: Request) -> FastJSON:
    # The Web from the app directly: a dependency costs a second round of FastAPI's
    # dependency solving (query parameters parsed included) on the busiest route.
    w: Web = request.app.state.web
    profile = _canonical_or_422(body.profile)
    parsed = await w.engine.parse_async(profile)
    if parsed.row is None:
        raise _rejected(parsed.errors)
    as_of = w.engine.as_of(body.as_of)
    return FastJSON(w.engine.answer(parsed.row, as_of, parsed.errors))


@router.post("/batch", summary="多家企业（条数有上限；需顾问口令 Bearer）", response_class=FastJSON)
async def batch(body: BatchRequest, request: Request, w: Web = Depends(web)) -> FastJSON:
    from matcher.web.advisor import is_advisor

    if not w.settings.token:
        raise HTTPException(404, "批量接口未启用：启动服务时用 --token 设置顾问口令")
    if not is_advisor(w, request):
        raise HTTPException(401, "批量接口需要顾问口令：请求头加 Authorization: Bearer <口令>")
    if len(body.profiles) > w.settings.max_batch:
        raise HTTPException(
            413, f"一次最多 {w.settings.max_batch} 家企业，收到 {len(body.profiles)} 家；请分批提交"
        )
    if not body.profiles:
        raise HTTPException(422, "profiles 为空：至少提交一家企业")
    profiles = [_canonical_or_422(p, f"第 {i} 家企业：") for i, p in enumerate(body.profiles, 1)]
    as_of = w.engine.as_of(body.as_of)
    parsed = await run_in_threadpool(w.engine.parse_many, profiles)

    def results() -> list[dict[str, Any]]:
        out = []
        for i, p in enumerate(parsed, 1):
            if p.row is None:
                out.append({"index": i, "ok": False, "problems": [e.as_dict() for e in p.errors]})
            else:
                item = result_json(w.engine.context(p.row, as_of), p.errors)
                out.append({"index": i, "ok": True, **item})
        return out

    items = await run_in_threadpool(results)
    return FastJSON({"as_of": as_of.isoformat(), "count": len(items), "results": items})


@router.get("/rules", summary="全部政策规则")
async def rules(w: Web = Depends(web)) -> dict[str, Any]:
    return {
        "count": w.engine.identity.rules,
        "metadata": w.engine.identity.as_dict(),
        "rules": [
            {
                "id": r.id,
                "title": r.title,
                "title_en": r.title_en,
                "kind": KIND_ZH[r.kind.value],
                "audience": audience_text(r),
                "valid_until": valid_until_text(r),
                "source": source_text(r),
            }
            for r in w.engine.rules
        ],
    }


@router.get("/fields", summary="企业画像字段（表单与接口共用）")
async def fields() -> list[dict[str, Any]]:
    from matcher.fields import PROFILE_FIELDS

    return [
        {
            "name": s.name,
            "label": s.zh,
            "type": s.type.value,
            "help": s.zh_desc,
            "required": s.required,
        }
        for s in PROFILE_FIELDS
    ]
