"""The recording mock inference server: OpenAI-compatible `POST .../chat/completions`."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conformance.inference.policy import next_message
from conformance.inference.recorder import InferenceRecorder, call_from_url
from conformance.redaction import redact_headers
from conformance.serving import ServerThread

CALLS_PATH = "/_recorder/calls"


def create_mock_inference_app(
    recorder: InferenceRecorder | None = None, *, accuracy: float = 1.0
) -> Starlette:
    """An ASGI app answering chat completions with the scripted policy and recording each call.

    Any POST path ending in `/chat/completions` is served (`/v1/chat/completions`,
    `/proxy/v1/chat/completions`, ...); `GET /_recorder/calls` lists the recordings.
    """
    rec = recorder if recorder is not None else InferenceRecorder()

    async def completions(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        call = call_from_url(
            request.method,
            request.url.path,
            request.url.query,
            body,
            redact_headers(request.headers.items()),
        )
        rec.record(call)
        if not request.url.path.endswith("/chat/completions"):
            return JSONResponse({"error": {"message": "not found"}}, 404)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return JSONResponse({"error": {"message": "messages[] is required"}}, 400)
        message = next_message(body, call.cid, accuracy)
        return JSONResponse(
            {
                "id": f"chatcmpl-{len(rec.calls())}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": str(body.get("model") or "mock"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            }
        )

    async def calls(_: Request) -> JSONResponse:
        return JSONResponse([c.as_dict() for c in rec.calls()])

    app = Starlette(
        routes=[
            Route(CALLS_PATH, calls, methods=["GET"]),
            Route("/{path:path}", completions, methods=["POST"]),
        ]
    )
    app.state.recorder = rec
    return app


class MockInferenceServer(ServerThread):
    """The mock on real uvicorn on 127.0.0.1; `.recorder` holds what it received."""

    def __init__(self, *, accuracy: float = 1.0, host: str = "127.0.0.1", port: int = 0) -> None:
        self.recorder = InferenceRecorder()
        super().__init__(create_mock_inference_app(self.recorder, accuracy=accuracy), host, port)

    @property
    def completions_url(self) -> str:
        return f"{self.url}/v1/chat/completions"
