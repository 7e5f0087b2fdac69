"""A real Rasa Open Source server for the tests: built, trained and started on loopback.

Rasa 3.6 runs in its own Python 3.10 environment (``scripts/rasa-env.sh``,
cached outside the checkout; ``make test`` starts building it in the
background); models are trained by ``scripts/rasa-train.sh``, cached by the
hash of the assistant's files. The fixtures of ``tests/conftest.py``
(``rasa_assistant``, ``rasa_nlu``) use :func:`start_rasa`; a Rasa that cannot
be built, trained or started makes the tests that need it *fail* with the
log's tail, never skip.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: The stock ``rasa init`` assistant (mood bot) plus the handoff snippet of the README.
ASSISTANT_DIR = REPO / "tests" / "rasa" / "assistant"
#: The NLU-only project: our ``training_data/`` with a fast pipeline.
NLU_PROJECT_DIR = REPO / "tests" / "rasa" / "nlu"
TRAINING_DIR = REPO / "training_data"
#: Seconds to wait for a started server to load its model and answer ``/status``.
START_TIMEOUT = float(os.environ.get("TSUNAGU_TEST_RASA_START_TIMEOUT", "180"))
#: Seconds to wait for the environment and a model (a fresh build takes minutes).
BUILD_TIMEOUT = 1500


@dataclass
class RasaServer:
    """One ``rasa run --enable-api --auth-token`` process on a loopback port.

    ``command``: the whole ``rasa run`` command line (so that :meth:`restart`
    starts the same server on the same port); ``workdir``: where it runs and
    its log is written; ``started_in``: seconds its last start took until
    ``GET /status`` named the model.
    """

    url: str
    token: str
    model: Path
    process: subprocess.Popen[bytes]
    log: Path
    command: tuple[str, ...] = ()
    workdir: Path = field(default=Path("."))
    started_in: float = field(default=0.0)

    def get(self, path: str, *, timeout: float = 10.0) -> dict:
        """GET ``path`` with the token; the decoded JSON answer."""
        with urllib.request.urlopen(self._url(path), timeout=timeout) as answer:
            return json.loads(answer.read())

    def post(self, path: str, body: object, *, timeout: float = 30.0) -> object:
        """POST JSON to ``path`` with the token; the decoded JSON answer."""
        request = urllib.request.Request(
            self._url(path), data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read())

    def parse(self, text: str) -> dict:
        """Rasa's own ``POST /model/parse`` answer for ``text``."""
        answer = self.post("/model/parse", {"text": text})
        assert isinstance(answer, dict)
        return answer

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text("utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the server, as a crash or the OOM killer would: no shutdown at all.

        Returns once the process is gone and its port refuses connections."""
        self.process.kill()
        self.process.wait(10)
        port = int(self.url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.1)
        pytest.fail(f"{self.url} still accepts connections after its rasa run was killed",
                    pytrace=False)

    def restart(self) -> None:
        """Start the same ``rasa run`` again on the same port (after :meth:`kill`), and
        return once ``GET /status`` names the model; a new log file is written beside."""
        assert self.process.poll() is not None, "restart() is for a server that has stopped"
        self.log = self.log.with_name(f"{self.log.stem}-again{self.log.suffix}")
        begun = time.monotonic()
        self.process = _spawn(self.command, self.workdir, self.log)
        _wait_ready(self, begun)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def _url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}token={self.token}"


def _script(name: str, *args: str) -> str:
    """Run ``scripts/<name>`` and return its last line of output; fail the test otherwise."""
    try:
        done = subprocess.run(
            ["bash", str(REPO / "scripts" / name), *args], capture_output=True, text=True,
            timeout=BUILD_TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"scripts/{name} did not finish in {BUILD_TIMEOUT} s", pytrace=False)
    if done.returncode != 0:
        pytest.fail(
            f"Rasa is needed by this test and scripts/{name} {' '.join(args)} failed "
            f"(exit {done.returncode}):\n{done.stderr[-4000:]}",
            pytrace=False,
        )
    return done.stdout.strip().splitlines()[-1]


def rasa_command() -> Path:
    """The ``rasa`` executable of the cached environment (built now if need be)."""
    return Path(_script("rasa-env.sh"))


def trained_model(project: Path, nlu_data: Path | None = None) -> Path:
    """The cached model of ``project`` (trained now if its files changed)."""
    args = [str(project)] + ([str(nlu_data)] if nlu_data is not None else [])
    return Path(_script("rasa-train.sh", *args))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_rasa(
    model: Path, workdir: Path, *, token: str, extra: tuple[str, ...] = ()
) -> RasaServer:
    """Start ``rasa run`` on ``model`` and return once ``GET /status`` answers with the model.

    Fails the test (with the server's log) if the process exits or is not
    ready within :data:`START_TIMEOUT` seconds.
    """
    rasa = rasa_command()
    port = _free_port()
    command = (str(rasa), "run", "--enable-api", "--auth-token", token, "-i", "127.0.0.1",
               "-p", str(port), "-m", str(model), *extra)
    log = workdir / f"rasa-{port}.log"
    begun = time.monotonic()
    server = RasaServer(f"http://127.0.0.1:{port}", token, model,
                        _spawn(command, workdir, log), log, command, workdir)
    _wait_ready(server, begun)
    return server


def _spawn(command: tuple[str, ...], workdir: Path, log: Path) -> subprocess.Popen[bytes]:
    """Run ``command`` (a ``rasa run``) in ``workdir``, its output to ``log``."""
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    with log.open("wb") as out:
        return subprocess.Popen(list(command), cwd=workdir, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait_ready(server: RasaServer, begun: float) -> None:
    """Return once ``GET /status`` answers with the model (``begun``: when the process
    started, for ``started_in``); fail the test with the server's log if the process
    exits or is not ready within :data:`START_TIMEOUT` seconds."""
    process = server.process
    deadline = begun + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"rasa run exited with {process.returncode} before it was ready; "
                f"the end of {server.log}:\n{server.log_tail()}",
                pytrace=False,
            )
        try:
            status = server.get("/status", timeout=2)
            if status.get("model_file"):
                break
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(
                f"rasa run did not answer GET /status with a model within {START_TIMEOUT:.0f} s; "
                f"the end of {server.log}:\n{server.log_tail()}",
                pytrace=False,
            )
        time.sleep(0.5)
    server.started_in = time.monotonic() - begun
