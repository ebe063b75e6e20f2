"""The model server: Chat Completions over any OpenAI-compatible URL, streamed, every failure named.

    endpoint = Endpoint.from_settings(settings)     # LMC_LLM_URL, LMC_LLM_MODEL, LMC_LLM_API_KEY or Settings
    for text in stream_chat(endpoint, messages):    # text deltas as they arrive
        ...                                         # raises LLMFailure(kind) on any failure

The `openai` package is imported here, lazily, so `lmc --help` and the extractive answerer never load
it. Failures become an LLMFailure whose `kind` says what happened: "down" (no connection), "status"
(an HTTP 4xx/5xx), "busy" (429), "timeout", "cut" (the stream stopped before the answer ended),
"malformed" (a reply that is not Chat Completions) or "empty". Its message never holds the API key.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

KINDS = ("config", "down", "status", "busy", "timeout", "cut", "malformed", "empty")
STOP = ("<<<", ">>>", "\nQuestion:")     # a model that starts to write another prompt has finished its answer


class LLMFailure(Exception):
    """The model gave no usable answer; `kind` is one of KINDS, `status` the HTTP status if any."""

    def __init__(self, kind: str, detail: str = "", status: int | None = None):
        super().__init__(detail or kind)
        self.kind, self.detail, self.status = kind, detail, status


@dataclass(frozen=True)
class Endpoint:
    url: str
    model: str = ""                 # "": the first model the server lists
    api_key: str = field(default="", repr=False)
    timeout: float = 60.0
    max_tokens: int = 300
    temperature: float = 0.0

    @classmethod
    def from_settings(cls, settings) -> "Endpoint":
        return cls(settings.llm_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout,
                   settings.llm_max_tokens, settings.llm_temperature)

    @property
    def where(self) -> str:
        """scheme://host:port of the URL, for messages (no path, no credentials)."""
        parts = urlsplit(self.url)
        host = parts.hostname or "?"
        return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")

    def check(self) -> None:
        """A one-line LLMFailure("config") when the URL is missing or not http(s)."""
        if not self.url:
            raise LLMFailure("config", "no model server: set LMC_LLM_URL (e.g. http://127.0.0.1:8080/v1) "
                                       "or Settings.llm_url")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LLMFailure("config", "LMC_LLM_URL must be an http:// or https:// URL "
                                       "(e.g. http://127.0.0.1:8080/v1)")
        if not self.timeout > 0:
            raise LLMFailure("config", "the model timeout (LMC_LLM_TIMEOUT, Settings.llm_timeout) must be a "
                                       "number of seconds above 0")


def client(endpoint: Endpoint):
    """An openai.OpenAI client for the endpoint: no retries (a failure falls back at once), one timeout."""
    import openai
    return openai.OpenAI(base_url=endpoint.url, api_key=endpoint.api_key or "none", max_retries=0,
                         timeout=endpoint.timeout)


def stream_chat(endpoint: Endpoint, messages: list[dict], deadline: float | None = None,
                openai_client=None) -> Iterator[str]:
    """Yield the reply's text as it arrives; raise LLMFailure on any failure, within the timeout.

    deadline: time.monotonic() by which the whole reply must be in (default: now + endpoint.timeout).
    Each wait for the server is bounded by the timeout too, so a silent server fails at the timeout and
    a trickling one at the first piece after the deadline."""
    import openai
    endpoint.check()
    deadline = deadline if deadline is not None else time.monotonic() + endpoint.timeout
    api = openai_client or client(endpoint)
    got, finished, stream = False, False, None
    try:
        model = endpoint.model or _first_model(api)
        stream = api.chat.completions.create(model=model, messages=messages, stream=True, stop=list(STOP),
                                             max_tokens=endpoint.max_tokens, temperature=endpoint.temperature)
        for chunk in stream:
            if time.monotonic() > deadline:
                raise LLMFailure("timeout", f"no complete answer within {endpoint.timeout:g} s")
            choices = getattr(chunk, "choices", None)
            if not isinstance(choices, list):
                raise LLMFailure("malformed", "a streamed piece without choices")
            for choice in choices[:1]:
                text = getattr(getattr(choice, "delta", None), "content", None)
                if text is not None and not isinstance(text, str):
                    raise LLMFailure("malformed", "a streamed piece whose content is not text")
                if text:
                    got = True
                    yield text
                finished = finished or bool(getattr(choice, "finish_reason", None))
    except LLMFailure:
        raise
    except openai.APITimeoutError:
        raise LLMFailure("timeout", f"no answer within {endpoint.timeout:g} s") from None
    except openai.APIStatusError as exc:
        kind = "busy" if exc.status_code == 429 else "status"
        raise LLMFailure(kind, f"HTTP {exc.status_code}", exc.status_code) from None
    except openai.APIConnectionError:             # a connection lost once the reply had begun is a cut
        raise LLMFailure("cut" if stream is not None else "down", "the connection was lost" if stream is not None
                         else f"cannot connect to {endpoint.where}") from None
    except Exception as exc:                      # noqa: BLE001 - the stream's transport and parsing errors
        raise _classify(exc, stream is not None) from None
    finally:
        if stream is not None:
            try:
                stream.close()
            except Exception:                     # noqa: BLE001 - closing a broken stream
                pass
    if not finished:
        raise LLMFailure("cut", "the answer stopped before its end")
    if not got:
        raise LLMFailure("empty", "the model returned no text")


def _first_model(api) -> str:
    """The first model the server lists (llama.cpp and vLLM serve one; Ollama lists what it holds)."""
    models = [m.id for m in api.models.list()]
    if not models:
        raise LLMFailure("malformed", "the server lists no model; set LMC_LLM_MODEL")
    return models[0]


def _classify(exc: Exception, begun: bool) -> LLMFailure:
    """A transport error once the reply has begun is a cut (before, no connection); anything else is a reply
    we cannot read."""
    module = type(exc).__module__ or ""
    if module.startswith(("httpx", "httpcore", "h11", "ssl", "socket")) or isinstance(exc, (OSError, EOFError)):
        if "timeout" in type(exc).__name__.lower():
            return LLMFailure("timeout", "the server stopped answering")
        return LLMFailure("cut" if begun else "down", "the connection was lost")
    return LLMFailure("malformed", f"the reply could not be read ({type(exc).__name__})")
