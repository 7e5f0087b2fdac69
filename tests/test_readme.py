"""The README's integration snippets, run as a reader would run them.

Each test takes a code block out of README.md (by its section), so a snippet
that drifts from the code fails here: Python and Node.js snippets are run
as they are written; shell snippets are run with bash and curl against a real
gateway, with only the example host, port and secrets replaced.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from aiohttp import web

from live_chat.auth import identity_matches
from live_chat.settings import Settings
from live_chat.webhooks import signing
from tests.conftest import GatewayFactory, free_port
from tests.live_chat.admin.test_admin_api import token_of
from tests.live_chat.test_message_mail import mail_settings, offline_message
from tests.live_chat.test_transcript_email import Inbox, body_text, smtp

__all__ = ["smtp"]  # the fixture, imported for this module's tests

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of the README section headed ``## <title>`` (up to the next ``## ``)."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no section '## {title}'"
    return match.group(1)


def blocks(title: str, language: str) -> list[str]:
    """The fenced ``language`` code blocks of the section ``title``, in order."""
    found = re.findall(rf"^```{language}\n(.*?)^```", section(title), re.M | re.S)
    assert found, f"README section '{title}' has no ```{language} block"
    return found


def load_module(tmp_path: Path, name: str, source: str) -> ModuleType:
    """``source`` imported as a module of its own, as a reader's file would be."""
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def run_shell(script: str, **env: str) -> str:
    """Run ``script`` with bash (``set -e -o pipefail``) and ``env``; its stdout."""
    for tool in ("bash", "curl"):
        assert shutil.which(tool), f"the README snippets need {tool} on PATH"
    process = await asyncio.create_subprocess_exec(
        "bash", "-c", "set -e -o pipefail\n" + script,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, f"snippet failed ({process.returncode}): {err.decode()}"
    return out.decode()


def only_curl(block: str) -> str:
    """The ``curl`` commands of a shell block (continuation lines and pipes kept),
    without the lines that start servers or set the reader's own variables."""
    commands, current = [], ""
    for line in block.splitlines():
        if current or line.startswith("curl "):
            current += line + "\n"
            if not line.rstrip().endswith("\\"):
                commands.append(current)
                current = ""
    assert commands, "no curl command in the block"
    return "".join(commands)


# -- "Widget settings": the identity signature a site's server computes ---------------

def test_the_identity_snippets_sign_what_the_gateway_checks(tmp_path: Path) -> None:
    python, = blocks("Widget settings", "python")
    sign = load_module(tmp_path, "identity", python).tsunagu_identity
    signed = sign("s3cret", "customer-42", "Keiko Mori", "keiko@example.com")
    assert identity_matches("s3cret", "customer-42", signed, name="Keiko Mori",
                            email="keiko@example.com")
    assert not identity_matches("s3cret", "customer-42", signed, name="Keiko Mori",
                                email="other@example.com")

    node = shutil.which("node")
    assert node, "the README's Node.js snippet needs node on PATH"
    js, = blocks("Widget settings", "js")
    script = js + ('\nprocess.stdout.write(tsunaguIdentity("s3cret", "customer-42", '
                   '"Keiko Mori", "keiko@example.com"));\n')
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    assert out.stdout == signed


# -- "Webhooks and Slack" ----------------------------------------------------------------

def test_the_webhook_verification_snippet_accepts_our_signature_only(tmp_path: Path) -> None:
    python, = blocks("Webhooks and Slack", "python")
    verify = load_module(tmp_path, "verify_webhook", python).verify
    body = b'{"event": "escalated"}'
    header = signing.signature("whsec_secret", body, int(time.time()))
    assert verify("whsec_secret", body, header)
    assert not verify("whsec_other", body, header)
    assert not verify("whsec_secret", body + b" ", header)
    stale = signing.signature("whsec_secret", body, int(time.time()) - 3600)
    assert not verify("whsec_secret", body, stale)  # a replay an hour later
    assert not verify("whsec_secret", body, "garbage")


async def test_the_webhook_subscription_snippet_creates_one_and_its_events_arrive(
        start_gateway: GatewayFactory) -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        arrived.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/tsunagu", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        gateway = await start_gateway(webhook_allow_private=True)
        admin = await token_of(gateway, "Aiko", role="admin")
        curl = blocks("Webhooks and Slack", "sh")[0]
        curl = curl.replace("https://chat.shop.example", gateway.url) \
                   .replace("https://crm.shop.example", f"http://127.0.0.1:{port}")
        created = json.loads(await run_shell(curl, ADMIN_TOKEN=admin))
        assert created["ok"] and created["secret"].startswith("whsec_")

        visitor = await gateway.visitor().connect()
        assert (await visitor.call("request_human", {}))["ok"]
        await asyncio.wait_for(arrived.wait(), 15)
        await visitor.disconnect()
        headers, body = received[0]
        assert headers["X-Tsunagu-Event"] == "escalated"
        assert signing.verify(created["secret"], body, headers["X-Tsunagu-Signature"])
    finally:
        await runner.cleanup()


# -- "E-mail" ----------------------------------------------------------------------------

async def test_the_email_reply_snippet_reaches_the_visitor(
        start_gateway: GatewayFactory, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    gateway = await start_gateway(**mail_settings(port))
    visitor, conversation_id = await offline_message(
        gateway, "Please call me", name="Taro", email="taro@example.jp")
    await visitor.disconnect()
    await inbox.wait_for(1)  # the offline message, to the team
    token = await token_of(gateway, "Aoi")

    curl = only_curl(blocks("E-mail", "sh")[0]).replace("https://chat.shop.example",
                                                         gateway.url)
    answer = json.loads(await run_shell(curl, ID=conversation_id, TOKEN=token))
    assert answer["ok"], answer
    await inbox.wait_for(2)
    recipients, mail = inbox.received[1]
    assert recipients == ["taro@example.jp"]
    assert "We will call you this afternoon." in body_text(mail)


# -- "Prometheus" ------------------------------------------------------------------------

async def test_the_prometheus_snippet_prints_the_queue_and_message_lines(
        start_gateway: GatewayFactory) -> None:
    token = "readme-metrics-token-0123456789"
    gateway = await start_gateway(metrics_token=token)
    curl = only_curl(blocks("Prometheus", "sh")[0]).replace("http://127.0.0.1:8080",
                                                             gateway.url)
    lines = (await run_shell(curl, TSUNAGU_METRICS_TOKEN=token)).splitlines()
    names = {line.split("{")[0].split(" ")[0] for line in lines}
    assert {"tsunagu_queue_length", "tsunagu_queue_oldest_wait_seconds"} <= names, lines

    config = yaml.safe_load(blocks("Prometheus", "yaml")[0])
    job, = config["scrape_configs"]
    assert job["authorization"]["type"] == "Bearer"


# -- "Rasa assistant": the handoff snippet is what the tested assistant runs -------------

def test_the_rasa_handoff_snippet_is_in_the_assistant_the_tests_run() -> None:
    snippet = yaml.safe_load(blocks("Rasa assistant", "yaml")[0])
    assistant = REPO / "tests" / "rasa" / "assistant"
    domain = yaml.safe_load((assistant / "domain.yml").read_text())
    rules = yaml.safe_load((assistant / "data" / "rules.yml").read_text())["rules"]
    assert set(snippet["intents"]) <= set(domain["intents"])
    for name, response in snippet["responses"].items():
        assert domain["responses"][name] == response
    for rule in snippet["rules"]:
        assert rule in rules


def commands(block: str) -> list[list[str]]:
    """The shell commands of ``block`` as words: continuation lines joined,
    comments and a trailing ``&`` dropped."""
    joined = block.replace("\\\n", " ")
    split = (shlex.split(line, comments=True) for line in joined.splitlines())
    return [[word for word in words if word != "&"] for words in split if words]


@pytest.mark.parametrize(("title", "mode"),
                         [("Rasa", "nlu_engine"), ("Rasa assistant", "bot_engine")])
def test_the_rasa_serve_snippets_give_the_settings_rasa_runs_with(title: str, mode: str) -> None:
    """The ``tsunagu serve`` line reaches the ``rasa run`` line of the same block:
    the mode is Rasa, RASA_URL is its ``-i``/``-p`` and RASA_TOKEN its ``--auth-token``."""
    found = commands(blocks(title, "sh")[0])
    run, = (c for c in found if "run" in c and "--enable-api" in c)
    serve, = (c for c in found if c[-1] == "serve" and c[-2].endswith("tsunagu"))
    env = dict(word.split("=", 1) for word in serve if "=" in word and word[0].isupper())
    settings = Settings.from_env(env)
    assert getattr(settings, mode) == "rasa"
    host, port = run[run.index("-i") + 1], run[run.index("-p") + 1]
    assert settings.rasa_url == f"http://{host}:{port}"
    assert settings.rasa_token == run[run.index("--auth-token") + 1]


pytestmark = pytest.mark.timeout(120)


# -- "REST API (OpenAPI)": a CRM's pulls with an API key ---------------------------------

async def test_the_crm_snippet_pulls_a_real_transcript_with_a_key_then_revokes_it(
        start_gateway: GatewayFactory) -> None:
    assert shutil.which("jq"), "the REST API snippet needs jq on PATH (apt-get install jq)"
    gateway = await start_gateway()
    block, = blocks("REST API (OpenAPI)", "sh")
    admin = re.search(r"tsunagu agent add --email (\S+) --name (\S+) --role admin "
                      r"--password '([^']+)'", block)
    assert admin, "the snippet makes its admin with tsunagu agent add"
    await gateway.ctx.agents.create(email=admin[1], name=admin[2], password=admin[3],
                                    role="admin")
    visitor = await gateway.visitor().connect()
    assert (await visitor.call("profile", {"name": "Jane", "email": "jane@example.com"}))["ok"]
    sent = await visitor.send("Where is my parcel?", "readme-1")
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    await visitor.disconnect()

    script = block.replace(admin[0], "").replace("http://127.0.0.1:8080", gateway.url)
    out = await run_shell(script, CONVERSATION_ID=sent["message"]["conversation_id"],
                          VISITOR_ID=visitor.session["visitor_id"])
    assert "] visitor: Where is my parcel?\n" in out
    assert '"sender": "bot"' in out and '"email": "jane@example.com"' in out
    # The last line: the profile, the list and the revocation, JSON after JSON.
    tail, answers, at = out.strip().splitlines()[-1], [], 0
    while at < len(tail):
        answer, at = json.JSONDecoder().raw_decode(tail, at)
        answers.append(answer)
    profile, listed, revoked = answers
    assert profile["visitor"]["email"] == "jane@example.com"
    (key,) = listed["api_keys"]
    assert key["prefix"].startswith("tsk_") and "key" not in key
    assert revoked["api_key"]["id"] == key["id"] and revoked["api_key"]["revoked_at"]
