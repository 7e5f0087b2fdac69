"""Forgetting a visitor and anonymising old transcripts (live_chat/store/retention.py), on
SQLite and PostgreSQL, and through the CLI (`tsunagu visitor forget ID`); attached files
go from the blob store with them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from live_chat.attachments.blobs import FileBlobStore, key_for
from live_chat.errors import Conflict
from live_chat.lifecycle import apply_move
from live_chat.reports.summary import summary
from live_chat.reports.window import ReportWindow
from live_chat.store.database import create_engine, migrate
from live_chat.store.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    Csat,
    Message,
    Note,
    Visitor,
    new_id,
    utcnow,
)
from live_chat.store.repository import Store
from live_chat.store.retention import anonymise_before, forget_visitor
from tests.conftest import REPO

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def blobs(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "attachments")


async def chat(store: Store, blobs: FileBlobStore, *, closed: bool = True) -> tuple[str, str]:
    """A visitor with one conversation: their message with a picture, a reply, a note,
    a rating."""
    attachment_id = new_id()
    await blobs.put(key_for(attachment_id), PNG)
    async with store.begin() as tx:
        agent = await tx.add_agent(email=f"{os.urandom(4).hex()}@example.com", name="A",
                                   password_hash="x")
        visitor = await tx.add_visitor(locale="en", page_url="https://shop.example/cart")
        conversation = await tx.add_conversation(visitor.id, locale="en")
        sent = await tx.add_message(conversation.id, sender="visitor",
                                    text="my address is 1-2-3", client_id="c1",
                                    intent="order_status", confidence=0.9)
        sent.attachments = [{"id": attachment_id, "name": "a.png", "type": "image/png",
                             "size": len(PNG)}]
        tx.session.add(Attachment(
            id=attachment_id, visitor_id=visitor.id, conversation_id=conversation.id,
            message_id=sent.id, uploader="visitor", uploader_id=visitor.id, name="a.png",
            type="image/png", size=len(PNG), sha256="0" * 64, storage_key=key_for(attachment_id)))
        await tx.add_message(conversation.id, sender="bot", text="Thanks!",
                             quick_replies=[{"title": "Yes", "payload": "/yes"}])
        await tx.add_note(conversation.id, agent.id, "called them at 090-1111-2222")
        if closed:
            await apply_move(tx, conversation, "close", actor="visitor")
            await tx.add_csat(conversation.id, 4, "ask for Mr. Tanaka")
    return visitor.id, conversation.id


async def counts(store: Store) -> dict[str, int]:
    async with store.begin() as tx:
        return {t.__name__: await tx.session.scalar(select(func.count()).select_from(t))
                for t in (Visitor, Conversation, Message, Note, Csat)}


async def files(store: Store, blobs: FileBlobStore) -> dict[str, bool]:
    """Each attachment row's visitor, and whether its bytes are still kept."""
    async with store.begin() as tx:
        rows = (await tx.session.scalars(select(Attachment))).all()
    return {a.visitor_id: await blobs.get(a.storage_key) == PNG for a in rows}


async def test_forget_deletes_the_visitor_and_everything_of_theirs(
        store: Store, blobs: FileBlobStore) -> None:
    gone, _ = await chat(store, blobs)
    kept, _ = await chat(store, blobs)
    open_one, _ = await chat(store, blobs, closed=False)
    assert len(list(blobs.root.glob("*/*"))) == 3
    assert await forget_visitor(store, gone, blobs) == 1
    assert await counts(store) == {"Visitor": 2, "Conversation": 2, "Message": 4,
                                   "Note": 2, "Csat": 1}
    with pytest.raises(Conflict):
        await forget_visitor(store, open_one, blobs)
    async with store.begin() as tx:
        assert await tx.visitor(kept) is not None and await tx.visitor(gone) is None
    # Their file went from the record and from the folder; the others' stay.
    assert await files(store, blobs) == {kept: True, open_one: True}
    assert len(list(blobs.root.glob("*/*"))) == 2


async def test_anonymising_blanks_the_words_and_keeps_the_figures(
        store: Store, blobs: FileBlobStore) -> None:
    old_visitor, old = await chat(store, blobs)
    recent_visitor, recent = await chat(store, blobs)
    # A file uploaded long ago and never sent goes too.
    unsent = new_id()
    await blobs.put(key_for(unsent), PNG)
    async with store.begin() as tx:
        tx.session.add(Attachment(
            id=unsent, visitor_id="somebody", uploader="visitor", uploader_id="somebody",
            name="b.png", type="image/png", size=len(PNG), sha256="0" * 64,
            storage_key=key_for(unsent), created_at=utcnow() - timedelta(days=31)))
    now = utcnow()
    window = ReportWindow.from_query({"since": (now - timedelta(days=1)).isoformat(),
                                      "until": (now + timedelta(days=1)).isoformat()},
                                     default_tz="UTC")
    before = await summary(store, window)
    async with store.begin() as tx:
        conversation = await tx.conversation(old)
        conversation.closed_at = now - timedelta(days=40)
        await tx.add_event(old, "offline_message", actor="visitor",
                           data={"name": "Hanako", "email": "h@example.com"})
    assert await anonymise_before(store, now - timedelta(days=30), blobs) == 1
    assert await anonymise_before(store, now - timedelta(days=30), blobs) == 1  # again: harmless
    async with store.begin() as tx:
        messages = (await tx.session.scalars(select(Message).order_by(Message.seq))).all()
        notes = (await tx.session.scalars(select(Note))).all()
        ratings = (await tx.session.scalars(select(Csat))).all()
    old_texts = [m.text for m in messages if m.conversation_id == old]
    assert old_texts == ["", ""]
    assert all(not m.quick_replies for m in messages if m.conversation_id == old)
    assert all(not m.attachments for m in messages if m.conversation_id == old)
    assert any(m.attachments for m in messages if m.conversation_id == recent)
    assert await files(store, blobs) == {recent_visitor: True}
    assert await blobs.get(key_for(unsent)) is None
    assert old_visitor != recent_visitor
    assert [m.intent for m in messages if m.conversation_id == old] == ["order_status", None]
    assert {m.text for m in messages if m.conversation_id == recent} == {
        "my address is 1-2-3", "Thanks!"}
    assert {n.conversation_id: n.text for n in notes}[old] == ""
    assert {r.conversation_id: r.comment for r in ratings} == {
        old: None, recent: "ask for Mr. Tanaka"}
    async with store.begin() as tx:
        forms = (await tx.session.scalars(select(ConversationEvent.data).where(
            ConversationEvent.type == "offline_message"))).all()
    assert forms == [{}]
    after = await summary(store, window)
    assert {k: v for k, v in after.items() if k != "generated_at"} == {
        k: v for k, v in before.items() if k != "generated_at"}


async def test_anonymising_forgets_the_names_of_visitors_not_seen_since(
        store: Store, blobs: FileBlobStore) -> None:
    gone, _ = await chat(store, blobs)
    back, _ = await chat(store, blobs)
    now = utcnow()
    async with store.begin() as tx:
        for visitor_id, seen in ((gone, now - timedelta(days=40)), (back, now)):
            visitor = await tx.visitor(visitor_id)
            assert visitor is not None
            visitor.name, visitor.email, visitor.last_seen_at = "Taro", "t@example.com", seen
    await anonymise_before(store, now - timedelta(days=30), blobs)
    async with store.begin() as tx:
        kept = {v.id: (v.name, v.email) for v in (await tx.session.scalars(select(Visitor)))}
    assert kept == {gone: (None, None), back: ("Taro", "t@example.com")}


def test_the_cli_forgets_a_visitor(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tsunagu.db'}"

    async def seed() -> str:
        engine = create_engine(url)
        await migrate(engine)
        try:
            return (await chat(Store(engine), FileBlobStore(tmp_path / "attachments")))[0]
        finally:
            await engine.dispose()

    import asyncio

    visitor_id = asyncio.run(seed())
    env = {**os.environ, "TSUNAGU_DATA_DIR": str(tmp_path), "DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "live_chat", "visitor", "forget", visitor_id],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"forgot visitor {visitor_id} and 1 conversation(s)" in done.stdout
    assert list((tmp_path / "attachments").glob("*/*")) == []  # the picture too
    again = subprocess.run([sys.executable, "-m", "live_chat", "visitor", "forget", visitor_id],
                           env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "no visitor" in again.stderr
