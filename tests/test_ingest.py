"""Ingestion: chat exports and project files → typed memories, through the real store.

Parser tests read the fixtures in tests/fixtures/chats/, each written in its
tool's real export shape (plus a malformed one of each). Store tests take the
``alma`` / ``make_alma`` fixtures, so they run on every backend of the contract
suite.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from alma_graph.errors import ScopeViolationError, ValidationError
from alma_graph.ingest import (
    MalformedFileError,
    UnknownFormatError,
    ingest_conversations,
    ingest_directory,
    parse_file,
)
from alma_graph.ingest.chunking import chunk_code, chunk_markdown, chunk_text, sentences
from alma_graph.ingest.classify import classify
from alma_graph.models import MemoryKind
from alma_graph.memory.validation import MAX_TEXT_CHARS

CHATS = Path(__file__).parent / "fixtures" / "chats"
MALFORMED = CHATS / "malformed"


def only(fmt_and_conversations, expected_format):
    fmt, conversations = fmt_and_conversations
    assert fmt == expected_format
    return conversations


def speakers_and_text(conversation):
    return [(t.role, t.speaker, t.text) for t in conversation.turns]


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


# -- parsers: the real export shapes ---------------------------------------------------------


def test_claude_code_transcript_keeps_dialogue_and_drops_tools_thinking_and_meta():
    [conversation] = only(parse_file(next((CHATS / "claude_code").glob("*.jsonl"))), "claude_code")
    assert conversation.id == "7f3c2a91-5b8e-4d6f-a1c2-93e4b5d6f708"  # sessionId
    assert conversation.title == "Fix flaky checkout tests"  # from the summary line
    turns = speakers_and_text(conversation)
    assert [(role, text[:40]) for role, _, text in turns] == [
        ("user", "The checkout tests are flaky on CI. Plea"),
        ("assistant", "I'll read the checkout test fixtures fir"),
        ("assistant", "The checkout tests failed because the fi"),
        ("user", "Thanks, that fixed it."),
    ]
    everything = " ".join(text for _, _, text in turns)
    assert "import pytest" not in everything  # tool_result
    assert "Look at the fixtures" not in everything  # thinking
    assert "Caveat" not in everything  # isMeta
    assert conversation.turns[0].timestamp == datetime(2025, 9, 14, 9, 12, 3, 101000, tzinfo=timezone.utc)


def test_chatgpt_export_follows_current_node_and_skips_hidden_tool_and_abandoned_messages():
    first, second = only(parse_file(CHATS / "chatgpt" / "conversations.json"), "chatgpt")
    assert first.id == "6671f0c2-1d2e-800a-9b1f-2c3d4e5f6a7b" and first.title == "Postgres connection errors"
    turns = speakers_and_text(first)
    assert [role for role, _, _ in turns] == ["user", "assistant", "user", "assistant"]
    texts = [text for _, _, text in turns]
    assert not any("ABANDONED BRANCH" in t for t in texts)  # the regenerated reply off the active branch
    assert not any("print(pool_size)" in t for t in texts)  # code sent to the python tool
    # consecutive assistant messages (around the tool call) are one turn, as the app shows them
    assert texts[1].startswith("Raising max_connections failed") and texts[1].endswith("in pgbouncer.ini.")
    assert texts[2] == "Here is the Grafana panel after the change."  # image pointer part dropped
    assert first.turns[0].timestamp == datetime.fromtimestamp(1718000001.0, tz=timezone.utc)
    assert first.created_at == datetime.fromtimestamp(1718000000.123456, tz=timezone.utc)
    assert [t.text for t in second.turns][0] == "Suggest a short hike near Lyon."


def test_claude_ai_export_reads_content_blocks_and_senders():
    [conversation] = only(parse_file(CHATS / "claude_ai" / "conversations.json"), "claude_ai")
    assert conversation.title == "Release checklist"
    turns = speakers_and_text(conversation)
    assert [role for role, _, _ in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[1][2].startswith("Release checklist:\n- Bump the version")  # text block, not the thinking
    assert "short list" not in turns[1][2]
    assert conversation.turns[2].timestamp == utc(2025, 3, 2, 14, 5)


def test_codex_rollout_uses_response_items_without_harness_context_or_duplicates():
    [conversation] = only(parse_file(next((CHATS / "codex").glob("rollout-*.jsonl"))), "codex")
    assert conversation.id == "0199a6c4-7b2e-7d31-9f0a-5e6d7c8b9a01"  # session_meta.payload.id
    assert speakers_and_text(conversation) == [
        ("user", "user", "Add a health check endpoint to the API. Never add new dependencies without asking."),
        ("assistant", "assistant", "Added GET /healthz in app/routes.py; it returns the build SHA and checks the "
                                   "database with SELECT 1."),
    ]  # no <environment_context>, no event_msg echo, no function calls or reasoning


def test_slack_export_resolves_people_mentions_and_links_and_skips_housekeeping():
    [general] = only(parse_file(CHATS / "slack" / "general" / "2024-03-04.json"), "slack")
    assert general.id == "general/2024-03-04" and general.title == "#general 2024-03-04"
    assert speakers_and_text(general) == [
        ("user", "Dana Whitfield", "Morning! @Omar Haddad can you review the billing PR today?"),
        ("user", "Omar Haddad", "Sure, after standup. I prefer reviewing PRs that are under 400 lines, so please "
                                "split the migration out."),
        ("assistant", "CI Bot", "Build #482 passed on main"),
    ]  # the channel_join is gone; the bot message is the assistant
    assert general.turns[0].timestamp == datetime.fromtimestamp(1709546400.0002, tz=timezone.utc)
    [deploys] = only(parse_file(CHATS / "slack" / "deploys" / "2024-03-05.json"), "slack")
    # no user_profile on this message: the name comes from users.json at the export root
    assert deploys.turns[1].speaker == "Omar Haddad"
    assert deploys.turns[1].text == "Noted & added to the runbook in #deploys."


def test_plain_text_reads_speakers_timestamps_and_continuation_lines(tmp_path):
    [conversation] = only(parse_file(CHATS / "text" / "standup.txt"), "text")
    assert [t.speaker for t in conversation.turns] == ["Priya", "Marco", "Priya", "Marco"]
    assert conversation.turns[2].text.endswith("It blocks the partner rollout too.")
    assert conversation.turns[1].timestamp == utc(2025, 2, 10, 9, 31)
    notes = tmp_path / "notes.txt"
    notes.write_text("First idea: batch the writes.\n\nSecond: keep chunks small.\nNote: not a speaker.\n")
    [parsed] = only(parse_file(notes), "text")
    assert [t.text for t in parsed.turns] == ["First idea: batch the writes.", "Second: keep chunks small.\nNote: not a speaker."]


@pytest.mark.parametrize("name, error, reason", [
    ("claude_code_truncated.jsonl", MalformedFileError, "line 2 is not valid JSON"),
    ("chatgpt_conversations.json", MalformedFileError, "current_node 'missing-node' is not a node"),
    ("claude_ai_conversations.json", MalformedFileError, "sender 'robot'"),
    ("rollout-2025-10-03T09-00-00-bad.jsonl", MalformedFileError, "line 3 (response_item) has no 'payload'"),
    ("slack/general/2024-03-06.json", UnknownFormatError, "matches no known chat export"),
    ("transcript_latin1.txt", MalformedFileError, "not UTF-8"),
])
def test_each_malformed_export_is_a_typed_error_that_names_the_problem(name, error, reason):
    with pytest.raises(error) as caught:
        parse_file(MALFORMED / name)
    assert isinstance(caught.value, ValidationError)
    assert reason in str(caught.value) and name.split("/")[-1] in str(caught.value)


def test_a_forced_format_is_checked_against_the_file():
    with pytest.raises(MalformedFileError, match="a Slack day file is a list of messages"):
        parse_file(MALFORMED / "slack" / "general" / "2024-03-06.json", "slack")
    with pytest.raises(MalformedFileError, match="no 'mapping'"):
        parse_file(CHATS / "claude_ai" / "conversations.json", "chatgpt")


# -- chunking and classification -------------------------------------------------------------------


def test_chunks_are_bounded_and_break_between_sentences():
    text = "\n\n".join(" ".join(f"Paragraph {p} sentence {s} says something useful." for s in range(12)) for p in range(6))
    chunks = chunk_text(text, 300)
    assert all(len(c) <= 300 for c in chunks)
    assert all(c.endswith(".") for c in chunks)  # never cut mid-sentence when a sentence fits
    assert " ".join(" ".join(c.split()) for c in chunks) == " ".join(text.split())  # nothing lost or reordered
    # one sentence longer than the bound is the only case that is cut, and still within it
    long = "word " * 1000
    assert all(len(c) <= 300 for c in chunk_text(long, 300)) and len(chunk_text(long, 300)) > 1
    assert max(len(c) for c in chunk_text("x" * (MAX_TEXT_CHARS * 2), MAX_TEXT_CHARS)) <= MAX_TEXT_CHARS


def test_markdown_chunks_carry_their_headings_and_code_chunks_split_between_blocks():
    doc = "# Guide\n\nIntro.\n\n## Install\n\n" + " ".join(f"Step {i} is done." for i in range(80)) + "\n\n## Use\n\nRun it."
    sections = chunk_markdown(doc, 400)
    assert sections[0].headings == ["Guide"]
    assert all(s.headings[:2] == ["Guide", "Install"] for s in sections[1:-1])
    assert sections[-1].headings == ["Guide", "Use"] and sections[-1].text.startswith("## Use")
    assert all(len(s.text) <= 400 for s in sections)
    code = "\n\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(40))
    chunks = chunk_code(code, 200)
    assert all(len(c) <= 200 and c.startswith("def f") for c in chunks)


def test_wrapped_markdown_lines_are_one_sentence():
    assert sentences("each write\nis one transaction. Next one.\n- a list item") == [
        "each write\nis one transaction.", "Next one.", "- a list item"]


@pytest.mark.parametrize("text, role, kind, fields", [
    ("I prefer tabs over spaces in Go code.", "user", MemoryKind.PREFERENCE, {"category": "code_style"}),
    ("Please keep your answers short.", "user", MemoryKind.PREFERENCE, {"category": "communication"}),
    ("Never commit directly to main.", "user", MemoryKind.PREFERENCE, {"category": "workflow"}),
    ("Always write pytest tests for new functions.", "user", MemoryKind.PREFERENCE, {"category": "testing"}),
    ("Don't use time.sleep in async code because it blocks the event loop; use asyncio.sleep instead.", "assistant",
     MemoryKind.ANTI_PATTERN, {"pattern": "use time.sleep in async code", "why_bad": "it blocks the event loop",
                               "better_alternative": "asyncio.sleep"}),
    ("Raising max_connections failed because each connection costs memory; use PgBouncer instead.", "assistant",
     MemoryKind.ANTI_PATTERN, {"pattern": "Raising max_connections", "better_alternative": "PgBouncer"}),
    ("The deploy failed because the migration locked the orders table.", "user", MemoryKind.ANTI_PATTERN,
     {"pattern": "the migration locked the orders table", "why_bad": "The deploy failed"}),
    ("We fixed the flaky login test by waiting for the network to be idle.", "user", MemoryKind.OUTCOME,
     {"task": "fix the flaky login test", "strategy_used": "waiting for the network to be idle", "outcome": True}),
    ("I tried raising the timeout to fix the deploy, but it still failed because the DB was down.", "user",
     MemoryKind.OUTCOME, {"task": "fix the deploy", "outcome": False, "error_message": "the DB was down"}),
])
def test_rules_classify_clear_statements(text, role, kind, fields):
    [found] = classify(text, role).extractions
    assert found.kind is kind
    assert fields.items() <= found.fields.items()


@pytest.mark.parametrize("text, role", [
    ("What do you prefer?", "user"),  # a question states no preference
    ("I prefer tabs over spaces.", "assistant"),  # only a person states a preference
    ("The build is broken.", "user"),  # a failure without a reason or an alternative
    ("Each write is one transaction, so a failed call leaves the store as it was.", "document"),
    ("Here is how to set up the project: run make test. It worked for me.", "assistant"),
    # casual chat (LoCoMo-like) that the rules must not take for instructions, failures or outcomes
    ("Never give up!", "user"),
    ("Always here to help.", "user"),
    ("Don't forget to prepare emotionally, since the wait can be hard.", "user"),
    ("We got a great turnout by inviting the whole neighbourhood.", "user"),
])
def test_rules_leave_ordinary_text_as_knowledge(text, role):
    result = classify(text, role)
    assert result.extractions == [] and result.remainder == text


# -- ingestion into a real store -----------------------------------------------------------------------


def memory_ids(alma):
    return sorted(r["id"] for r in alma.store.find_memories())


def test_conversations_are_ingested_malformed_files_reported_and_reingestion_adds_nothing(alma):
    report = ingest_conversations(alma, CHATS, "dev", show_progress=False)
    assert set(report.formats) == {"claude_code", "chatgpt", "claude_ai", "codex", "slack", "text"}
    assert report.files_ingested == 7 and len(report.errors) == 6  # every malformed file, each with its reason
    assert all(str(MALFORMED) in path for path in report.errors)
    assert "sender 'robot'" in report.errors[str(MALFORMED / "claude_ai_conversations.json")]
    assert report.skipped == {str(CHATS / "slack" / name): "Slack workspace metadata (read for names, holds no messages)"
                              for name in ("channels.json", "integration_logs.json", "users.json")}
    assert report.conversations == 8 and report.turns == 25
    added = report.added
    assert added["preference"] >= 5 and added["anti_pattern"] >= 4 and added["outcome"] == 1
    assert added["domain_knowledge"] == report.chunks > 0
    stats = alma.stats()["by_kind"]
    assert {k: stats[k] for k in added} == dict(added)
    before = memory_ids(alma)
    assert len(before) == report.total_added + report.induced

    again = ingest_conversations(alma, CHATS, "dev", show_progress=False)
    assert again.total_added == 0
    assert again.duplicates == report.added
    assert memory_ids(alma) == before
    summary = again.summary()
    assert "already present (skipped): %d" % report.total_added in summary and "error:" in summary


def test_classified_memories_land_in_their_kinds_and_are_retrievable(alma):
    path = next((CHATS / "claude_code").glob("*.jsonl"))
    report = ingest_conversations(alma, path, "dev", user_id="dana", show_progress=False)
    assert report.errors == {} and report.formats == {"claude_code": 1}
    [preference] = alma.store.find_memories(kind="preference", user_id="dana")
    assert preference["preference"] == "Please always use type hints in new Python code."
    assert preference["category"] == "code_style" and preference["source"] == "ingest:claude_code"
    [anti] = alma.store.find_memories(kind="anti_pattern", agents=["dev"])
    assert "time.sleep(2)" in anti["pattern"] and anti["better_alternative"] == "an explicit wait on the mock's ready event"
    knowledge = alma.store.find_memories(kind="domain_knowledge", agents=["dev"])
    metadata = json.loads(knowledge[0]["metadata"])
    assert metadata["format"] == "claude_code" and metadata["conversation_id"] == "7f3c2a91-5b8e-4d6f-a1c2-93e4b5d6f708"
    assert metadata["source_path"] == str(path) and knowledge[0]["occurred_at"] == utc(2025, 9, 14, 9, 12, 3, 101000)

    found = alma.retrieve("why are the checkout tests flaky on CI", "dev", user_id="dana", top_k=5)
    assert any("time.sleep(2)" in m.pattern for m in found.anti_patterns)
    assert [p.preference for p in found.preferences] == ["Please always use type hints in new Python code."]
    assert any("payment mock listens on port 8089" in k.fact for k in found.domain_knowledge)


def test_directory_ingestion_reads_text_markdown_and_code_and_skips_the_rest(make_alma, tmp_path):
    alma = make_alma()
    tree = tmp_path / "project"
    (tree / "src").mkdir(parents=True)
    (tree / "README.md").write_text(
        "# Billing service\n\nThe billing service charges customers nightly at 02:00 UTC.\n\n"
        "## Pitfalls\n\nDon't retry card declines automatically because banks flag repeated attempts as fraud; "
        "email the customer instead.\n")
    (tree / "notes.txt").write_text("Invoices are stored as PDF in the archive bucket for seven years.\n")
    (tree / "src" / "charge.py").write_text("def charge(customer, amount_cents):\n    \"\"\"Charge a card.\"\"\"\n"
                                            "    return gateway.capture(customer.card, amount_cents)\n")
    (tree / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (tree / "data.txt").write_bytes(b"binary\x00\x01\x02 payload")  # a text name, binary content
    (tree / "big.md").write_text("# Big\n\n" + "Too long to read. " * 200)
    (tree / ".env").write_text("STRIPE_KEY=sk_live_secret\n")
    for noise in (".git/config", "node_modules/left-pad/index.js", ".venv/lib/site.py", "venv/lib/x.py"):
        (tree / noise).parent.mkdir(parents=True, exist_ok=True)
        (tree / noise).write_text("should never be read = True\n")
    (tree / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")

    report = ingest_directory(alma, tree, "dev", max_file_bytes=2000, show_progress=False)
    assert report.formats == {"markdown": 1, "text": 1, "code": 1} and report.errors == {}
    assert report.skipped == {
        str(tree / ".env"): "hidden file",
        str(tree / "big.md"): f"too large: {(tree / 'big.md').stat().st_size:,} bytes > the 2,000-byte cap",
        str(tree / "data.txt"): "binary (NUL bytes)",
        str(tree / "logo.png"): "unsupported file type '.png'",
    }
    assert report.added["anti_pattern"] == 1 and report.added["domain_knowledge"] == 3
    facts = {r["category"]: r["text"] for r in alma.store.find_memories(kind="domain_knowledge")}
    assert facts["code"].startswith("src/charge.py\ndef charge(")
    texts = [r["text"] for r in alma.store.find_memories(kind="domain_knowledge")]
    assert not any("should never be read" in t or "sk_live" in t for t in texts)
    [anti] = alma.store.find_memories(kind="anti_pattern")
    assert anti["pattern"] == "retry card declines automatically" and anti["better_alternative"] == "email the customer"

    found = alma.retrieve("when does billing charge customers", "dev")
    assert found.domain_knowledge[0].fact.startswith("README.md › Billing service\n# Billing service")
    before = memory_ids(alma)
    again = ingest_directory(alma, tree, "dev", max_file_bytes=2000, show_progress=False)
    assert again.total_added == 0 and again.total_duplicates == report.total_added
    assert memory_ids(alma) == before

    # editing one file adds only what changed
    (tree / "notes.txt").write_text("Invoices are stored as PDF in the archive bucket for ten years.\n")
    edited = ingest_directory(alma, tree, "dev", max_file_bytes=2000, show_progress=False)
    assert edited.added == {"domain_knowledge": 1} and edited.total_duplicates == report.total_added - 1


def test_scope_refusals_are_reported_per_item_and_the_rest_is_written(make_alma):
    alma = make_alma(agents={"dev": {"can_learn": ["conversations"]}})
    report = ingest_conversations(alma, CHATS / "claude_ai" / "conversations.json", "dev", user_id="dana",
                                  show_progress=False)
    # the preference's category (communication) is outside dev's can_learn; knowledge and the outcome are inside
    assert report.scope_refused == {"preference": 1}
    assert "may not learn preference category 'communication'" in report.scope_reasons[0]
    assert report.added["domain_knowledge"] >= 1 and report.added["outcome"] == 1 and not report.ok
    assert "refused by scope: preference 1" in report.summary()


def test_an_explicit_domain_outside_scope_is_refused_before_anything_is_read(make_alma, tmp_path):
    alma = make_alma(agents={"dev": {"cannot_learn": ["secrets"]}})
    (tmp_path / "a.md").write_text("# A\n\nSomething.\n")
    with pytest.raises(ScopeViolationError):
        ingest_directory(alma, tmp_path, "dev", domain="secrets")
    with pytest.raises(ScopeViolationError):
        ingest_conversations(alma, CHATS / "text", "dev", domain="secrets")
    assert memory_ids(alma) == []


def test_bad_arguments_are_typed_errors(alma, tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        ingest_directory(alma, tmp_path / "nope", "dev")
    with pytest.raises(ValidationError, match="agent name"):
        ingest_conversations(alma, CHATS, "not a name!")
    with pytest.raises(UnknownFormatError, match="unknown chat format 'whatsapp'"):
        ingest_conversations(alma, CHATS, "dev", format="whatsapp")
    with pytest.raises(ValidationError, match="chunk_chars"):
        ingest_directory(alma, tmp_path, "dev", chunk_chars=MAX_TEXT_CHARS + 1)


def test_progress_bar_goes_to_stderr_when_asked(alma, capsys):
    ingest_conversations(alma, CHATS / "text", "dev", show_progress=True)
    captured = capsys.readouterr()
    assert "ingest conversations" in captured.err and captured.out == ""


def test_a_preference_already_stated_directly_is_not_added_again(alma):
    alma.add_preference("dana", "code_style", "Please always use  type hints in new Python code.")
    path = next((CHATS / "claude_code").glob("*.jsonl"))
    report = ingest_conversations(alma, path, "dev", user_id="dana", show_progress=False)
    assert report.duplicates["preference"] == 1 and "preference" not in report.added
    assert len(alma.store.find_memories(kind="preference", user_id="dana")) == 1
