"""The Rasa engine: classification by a Rasa 3.x server's ``POST /model/parse``.

Rasa 3.6 needs Python < 3.11 and pins old aiohttp and SQLAlchemy, so it runs as
its own server in its own environment (see ``docs/bot.md`` for the command
that builds and trains it on ``training_data/``); this module is only its
client, and maps Rasa's answer to the same :class:`~bot.nlu.Prediction` as
the built-in engine.

Two ways to call it, same result:

* :meth:`RasaClassifier.parse` - synchronous, standard-library ``urllib``;
  it blocks for up to ``timeout`` seconds, so never call it on the event loop
  (the CLI and benchmarks use it).
* :meth:`RasaClassifier.parse_async` - ``aiohttp``, for the gateway
  (``Bot.respond_async``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.errors import NLUEngineError
from bot.nlu import OUT_OF_SCOPE, Prediction

#: Rasa's FallbackClassifier's intent ("not understood"); it means the same as ours.
NLU_FALLBACK = "nlu_fallback"
_RASA_FALLBACK_INTENTS = frozenset({NLU_FALLBACK, OUT_OF_SCOPE})


class RasaClassifier:
    """Client of one Rasa server.

    ``url``: the server's base URL (``http://127.0.0.1:5005``). ``threshold``:
    a top confidence below it makes the message out of scope. ``timeout``:
    seconds to wait for an answer. ``token``: the server's ``--auth-token``
    (sent as Rasa's ``?token=`` query parameter), ``None`` for a server
    without one. ``ranking_size``: intents kept.
    """

    def __init__(
        self,
        url: str,
        *,
        threshold: float = 0.5,
        timeout: float = 2.0,
        token: str | None = None,
        ranking_size: int = 5,
    ) -> None:
        problem = rasa_url_problem(url)
        if problem:
            raise ValueError(problem)
        base = url.rstrip("/")
        self.endpoint = base + "/model/parse"
        self.status_endpoint = base + "/status"
        self._query = "?" + urllib.parse.urlencode({"token": token}) if token else ""
        self.threshold = threshold
        self.timeout = timeout
        self.ranking_size = ranking_size

    def parse(self, text: str) -> Prediction:
        """Classify ``text`` with a blocking HTTP call."""
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.endpoint + self._query,
            data=json.dumps({"text": text}).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                body = json.loads(answer.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise unreachable(f"Rasa at {self.endpoint}", exc, self.timeout) from None
        return prediction_from_rasa(body, self.threshold, self.ranking_size)

    async def parse_async(self, text: str) -> Prediction:
        """Classify ``text`` without blocking the event loop."""
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self.endpoint + self._query, json={"text": text}) as answer,
            ):
                refused(f"Rasa at {self.endpoint}", answer.status)
                body = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise unreachable(f"Rasa at {self.endpoint}", exc, self.timeout) from None
        return prediction_from_rasa(body, self.threshold, self.ranking_size)


    async def check_async(self) -> None:
        """Raise :class:`NLUEngineError` unless the server answers ``GET /status``
        with a loaded model (``/readyz`` of the gateway)."""
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(self.status_endpoint + self._query) as answer,
            ):
                refused(f"Rasa at {self.status_endpoint}", answer.status)
                body = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise unreachable(f"Rasa at {self.status_endpoint}", exc, self.timeout) from None
        if not isinstance(body, dict) or not body.get("model_file"):
            raise NLUEngineError(f"Rasa at {self.status_endpoint} has no model loaded",
                                 "Rasa has no model loaded")


def refused(where: str, status: int) -> None:
    """Raise :class:`NLUEngineError` for an HTTP error status from Rasa (``where``: the
    server and path, never the query). Not ``raise_for_status()``: aiohttp's error
    text holds the whole request URL, ``?token=`` included, and ends up in logs."""
    if status < 400:
        return
    hint = ": check RASA_TOKEN" if status in (401, 403) else ""
    raise NLUEngineError(f"{where}: Rasa answered {status}{hint}", f"Rasa answered {status}")


def unreachable(where: str, exc: BaseException, timeout: float) -> NLUEngineError:
    """The error of a call to Rasa (``where``: the server and path) that failed with
    ``exc``. A timeout says so with the seconds waited (``RASA_TIMEOUT``): its own
    message is empty, and a hung server must read differently from a refused one.

    Only what cannot hold the token is copied from ``exc``: an HTTP error's status
    (aiohttp's and urllib's error texts may hold the request URL), a connection
    error's operating-system reason. Raise it ``from None`` so no traceback carries
    ``exc`` either."""
    if isinstance(exc, TimeoutError):
        reason = f"no answer within {timeout:g} s"
        return NLUEngineError(f"{where}: {reason}", reason)
    status = getattr(exc, "status", None) or getattr(exc, "code", None)
    if isinstance(exc, aiohttp.ClientResponseError | urllib.error.HTTPError) and status:
        return NLUEngineError(f"{where}: Rasa answered {status}", f"Rasa answered {status}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return NLUEngineError(f"{where}: not reachable ({exc.os_error})", "not reachable")
    if isinstance(exc, urllib.error.URLError):
        return NLUEngineError(f"{where}: not reachable ({exc.reason})", "not reachable")
    if isinstance(exc, aiohttp.ClientConnectionError):
        return NLUEngineError(f"{where}: not reachable ({type(exc).__name__})", "not reachable")
    if isinstance(exc, ValueError):
        return NLUEngineError(f"{where}: answered something that is not JSON",
                              "unexpected answer from Rasa")
    return NLUEngineError(f"{where}: {type(exc).__name__}", "unexpected answer from Rasa")


def rasa_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a Rasa server's base URL (``RASA_URL``), or ``None``."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return f"RASA_URL must be an http(s) URL such as http://127.0.0.1:5005, not {url!r}"
    try:
        parsed.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        return f"RASA_URL has an invalid port: {url!r}"
    if parsed.query or parsed.fragment:
        return f"RASA_URL must be the server's base URL, without a query: {url!r}"
    return None


def prediction_from_rasa(
    body: Mapping[str, Any], threshold: float, ranking_size: int = 5
) -> Prediction:
    """Map a ``/model/parse`` answer to a :class:`Prediction`.

    Rasa answers ``{"intent": {"name", "confidence"}, "intent_ranking":
    [{"name", "confidence"}, …], …}``; an intent below ``threshold`` or Rasa's
    ``nlu_fallback`` becomes :data:`~bot.nlu.OUT_OF_SCOPE`.
    """
    try:
        top = body.get("intent") or {}
        ranking = tuple(
            (str(item["name"]), float(item["confidence"]))
            for item in body.get("intent_ranking") or ()
            if item.get("name") != NLU_FALLBACK
        )[:ranking_size]
        name = top.get("name")
        confidence = float(top.get("confidence") or 0.0)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise NLUEngineError(f"unexpected answer from Rasa: {exc}") from exc
    if name == NLU_FALLBACK and ranking:
        # Rasa's FallbackClassifier replaced the intent; the real best is first in the ranking.
        confidence = ranking[0][1]
    if not name or name in _RASA_FALLBACK_INTENTS or confidence < threshold:
        return Prediction(OUT_OF_SCOPE, confidence, ranking)
    return Prediction(str(name), confidence, ranking or ((str(name), confidence),))
