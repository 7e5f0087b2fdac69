"""Rasa 3.x YAML in and out: a real Rasa project imports with located warnings,
bad files fail with file and line, and an export reads back to the same data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.errors import Problem, TrainingDataError
from bot.rasa_format import read_rasa, write_rasa
from bot.training_data import TrainingData, load_training_data

from .conftest import SMALL_NLU, TRAINING_DIR

RASA_PROJECT = Path(__file__).parent / "data" / "rasa_project"


def project_files() -> list[tuple[str, str]]:
    """The fixture project's files as an upload would give them: relative name, text."""
    return [
        (path.relative_to(RASA_PROJECT).as_posix(), path.read_text("utf-8"))
        for path in sorted(RASA_PROJECT.rglob("*.yml"))
    ]


def line_of(files: list[tuple[str, str]], name: str, needle: str) -> int:
    """The 1-based line of ``name`` holding ``needle`` (the only one)."""
    text = dict(files)[name]
    (line,) = [n for n, row in enumerate(text.splitlines(), 1) if needle in row]
    return line


def pairs(data: TrainingData) -> Counter[tuple[str, str]]:
    return Counter((e.intent, e.text) for e in data.examples)


def problems_of(files: list[tuple[str, str]]) -> tuple[Problem, ...]:
    with pytest.raises(TrainingDataError) as caught:
        read_rasa(files)
    return caught.value.problems


def test_rasa_init_project_imports_with_located_warnings() -> None:
    files = project_files()
    result = read_rasa(files)

    nlu, domain = "data/nlu.yml", "domain.yml"
    expected = [
        Problem(nlu, line_of(files, nlu, "- intent: faq/ask_opening_hours"),
                "retrieval intent 'faq/ask_opening_hours' ignored: "
                "tsunagu does not use retrieval intents"),
        Problem("data/rules.yml", 3,
                "rules ignored: tsunagu does not use Rasa rules (its dialogue is built in)"),
        Problem("data/stories.yml", 3,
                "stories ignored: tsunagu does not use Rasa stories (its dialogue is built in)"),
        Problem(domain, line_of(files, domain, "utter_order_status:") + 1,
                "response 'utter_order_status': a variation without text was skipped "
                "(tsunagu shows text answers only)"),
        Problem(domain, line_of(files, domain, "utter_show_map:"),
                "response 'utter_show_map' skipped: none of its variations has text"),
        Problem(domain, line_of(files, domain, "utter_faq/ask_opening_hours:"),
                "response 'utter_faq/ask_opening_hours' ignored: "
                "tsunagu does not use retrieval intents"),
        # Entities, synonyms, regexes and lookups: ONE warning for the whole
        # project, at the first of them.
        Problem(nlu, line_of(files, nlu, "where is order [12345](order_id)"),
                "ignored, the built-in engine classifies intents only: "
                "5 entity annotations, 1 synonym ('credit'), "
                "1 regular expression ('account_number'), 1 lookup table ('city') "
                "(the examples are kept without their entity markup)"),
    ]  # fmt: skip
    # config.yml and the domain's intents/entities/slots/actions/session_config
    # are a normal part of a Rasa project: nothing to say about them.
    assert result.warnings == expected

    data = result.data
    assert data.intents == [
        "affirm", "bot_challenge", "check_weather", "deny", "goodbye", "greet",
        "mood_great", "mood_unhappy", "order_status",
    ]  # fmt: skip
    assert len(data.data_hash) == 64
    texts = set(data.texts())
    # Entity markup is reduced to its text, in both forms and both languages.
    assert {"where is order 12345", "track order A-778", "has my parcel shipped yet"} <= texts
    assert "注文12345はいつ届きますか" in texts
    # Nothing of the skipped blocks leaks in as examples.
    assert not texts & {"when are you open", "credit account", r"\d{10,12}", "Tokyo"}


def test_list_form_examples_keep_their_lines_and_ignore_metadata() -> None:
    files = project_files()
    data = read_rasa(files).data
    weather = [(e.text, e.line) for e in data.examples if e.intent == "check_weather"]
    nlu = "data/nlu.yml"
    assert weather == [
        # A "text: |" block starts on the line after the indicator.
        ("what's the weather in Berlin", line_of(files, nlu, "what's the weather in")),
        ("is it going to rain today", line_of(files, nlu, "is it going to rain today")),
        ("will it snow tomorrow", line_of(files, nlu, "will it snow tomorrow")),
        ("how cold is it outside?", line_of(files, nlu, "how cold is it outside?")),
    ]


def test_responses_keep_what_tsunagu_shows() -> None:
    responses = read_rasa(project_files()).data.responses
    assert set(responses) == {
        "utter_greet", "utter_cheer_up", "utter_did_that_help", "utter_happy",
        "utter_goodbye", "utter_iamabot", "utter_order_status",
    }  # fmt: skip
    # Text, buttons and language only: other keys (image, custom…) are not kept.
    assert responses["utter_cheer_up"] == [{"text": "Here is something to cheer you up:"}]
    assert responses["utter_order_status"] == [
        {"text": "Your order is on its way.", "metadata": {"language": "en"}}
    ]
    assert responses["utter_did_that_help"][0]["buttons"] == [
        {"title": "yes", "payload": "/affirm"},
        {"title": "no", "payload": "/deny"},
    ]


def test_loader_reads_the_same_project_without_warnings(tmp_path: Path) -> None:
    loaded = load_training_data(RASA_PROJECT)
    imported = read_rasa(project_files()).data
    assert pairs(loaded) == pairs(imported)
    assert loaded.responses == imported.responses
    assert loaded.examples[0].source == str(RASA_PROJECT / "data" / "nlu.yml")


def test_plain_scalars_are_read_as_yaml_1_2_like_rasa() -> None:
    text = """\
nlu:
- intent: deny
  examples:
  - text: no
  - text: off
- intent: affirm
  examples:
  - text: yes
  - text: on
responses:
  utter_affirm:
  - text: Yes
    buttons:
    - {title: No, payload: /deny}
labels:
  affirm: {en: Yes, ja: はい}
  deny: {en: 2024-01-01}
"""
    data = read_rasa([("nlu.yml", text)]).data
    assert pairs(data) == Counter(
        {("deny", "no"): 1, ("deny", "off"): 1, ("affirm", "yes"): 1, ("affirm", "on"): 1}
    )
    assert data.responses["utter_affirm"][0] == {
        "text": "Yes",
        "buttons": [{"title": "No", "payload": "/deny"}],
    }
    assert data.labels == {"affirm": {"en": "Yes", "ja": "はい"}, "deny": {"en": "2024-01-01"}}


def test_example_line_without_dash_is_reported_with_file_and_line() -> None:
    broken = SMALL_NLU.replace("    - track my order\n", "    track my order\n")
    (problem,) = problems_of([("data/nlu.yml", broken)])
    assert (problem.source, problem.line) == ("data/nlu.yml", 16)
    assert problem.message == "intent 'order_status': example must start with '- '"


def test_invalid_yaml_is_reported_with_file_and_line() -> None:
    broken = SMALL_NLU.replace("- intent: order_status", "- intent: [order_status")
    (problem,) = problems_of([("data/nlu.yml", broken)])
    assert problem.source == "data/nlu.yml"
    assert problem.line is not None and 11 <= problem.line <= 13
    assert problem.message.startswith("invalid YAML: ")


def test_intent_without_examples_is_reported_with_file_and_line() -> None:
    text = SMALL_NLU + "- intent: coupon\n  examples: |\n- intent: shipping_fee\n"
    problems = problems_of([("nlu.yml", text)])
    assert [(p.source, p.line, p.message) for p in problems] == [
        ("nlu.yml", 27, "intent 'coupon' has no examples"),
        ("nlu.yml", 29, "intent 'shipping_fee' has no examples"),
    ]


def test_every_problem_of_every_file_is_listed() -> None:
    bad_list = "nlu:\n- intent: coupon\n  examples:\n  - promo code\n  - text: discount code\n"
    bad_response = "responses:\n  utter_coupon:\n  - text: 12\n  - text: ok\n    buttons: [x]\n"
    other = "nlu:\n- intent: refund_status\n  examples: |\n    - Where is my  ORDER\n"
    problems = problems_of(
        [
            ("a.yml", SMALL_NLU),
            ("b.yml", bad_list),
            ("c.yml", bad_response),
            ("d.yml", other),
            ("e.yml", "nlu: [\n"),
        ]
    )
    assert [(p.source, p.line) for p in problems] == [
        ("b.yml", 4),
        ("c.yml", 3),
        ("c.yml", 4),
        ("e.yml", 2),
        ("d.yml", 4),
    ]
    assert problems[0].message == "intent 'coupon': expected '- text: EXAMPLE'"
    assert problems[1].message == "response 'utter_coupon': a variation's 'text' is not a string"
    assert "'buttons' must be a list" in problems[2].message
    assert "already an example of intent 'order_status' at a.yml:13" in problems[4].message


def test_only_yaml_files_are_read() -> None:
    result = read_rasa([("nlu.yml", SMALL_NLU), ("README.md", "# my bot\n")])
    assert result.warnings == [Problem("README.md", None, "not a .yml/.yaml file: ignored")]
    assert len(result.data.intents) == 3


def test_no_examples_at_all_is_an_error() -> None:
    (problem,) = problems_of([("domain.yml", "version: '3.1'\nintents: [greet]\n")])
    assert problem == Problem("domain.yml", None, "no NLU examples found in any YAML file")


def test_export_round_trips_the_shipped_training_data() -> None:
    data = load_training_data(TRAINING_DIR)
    files = write_rasa(data)
    assert set(files) == {"data/nlu.yml", "domain.yml", "labels.yml"}

    back = read_rasa(list(files.items()))
    assert back.warnings == []
    assert pairs(back.data) == pairs(data)
    assert back.data.responses == data.responses
    assert back.data.labels == data.labels

    nlu = files["data/nlu.yml"]
    assert nlu.startswith('version: "3.1"\nnlu:\n- intent: affirm\n  examples: |\n    - ')
    assert nlu.count("  examples: |\n") == len(data.intents)
    domain = yaml.safe_load(files["domain.yml"])
    assert domain["version"] == "3.1"
    assert domain["intents"] == data.intents
    # Rasa's schema rejects keys it does not know: labels live in their own file.
    assert set(domain) == {"version", "intents", "responses"}
    assert set(yaml.safe_load(files["labels.yml"])) == {"labels"}


def test_export_keeps_awkward_texts_inside_the_literal_block() -> None:
    awkward = [
        "# not a comment", "- a dash", "* star", "&anchor", "!tag", "|pipe", ">fold",
        "'single", '"double', "%percent", "@at", "`tick", "{brace}", "[bracket",
        "? question", ": colon", "key: value", "a # hash", "yes", "null", "0o17",
        "絵文字 🎉", "全角　スペース",
    ]  # fmt: skip
    data = TrainingData.from_records(
        [("odd", text) for text in awkward]
        + [("multi", "first line\nsecond line"), ("multi", "tab\there\r\nand\u2028more")],
        {},
        {},
    )
    files = write_rasa(data)
    nlu = files["data/nlu.yml"]
    assert nlu.count("  examples: |\n") == 2
    assert "    - # not a comment\n" in nlu and "    - 全角　スペース\n" in nlu

    back = read_rasa(list(files.items())).data
    assert pairs(back) == Counter({("odd", text): 1 for text in awkward}) + Counter(
        {("multi", "first line second line"): 1, ("multi", "tab here and more"): 1}
    )


def test_export_lists_intents_without_a_response() -> None:
    data = TrainingData.from_records(
        [("greet", "hello"), ("order_status", "where is my order")],
        {"utter_greet": [{"text": "Hi!", "metadata": {"language": "en"}}]},
        {"greet": {"en": "Greeting"}},
    )
    domain = yaml.safe_load(write_rasa(data)["domain.yml"])
    assert domain["intents"] == ["greet", "order_status"]
    assert domain["responses"] == {"utter_greet": [{"text": "Hi!", "metadata": {"language": "en"}}]}


def test_from_records_hash_depends_on_content_only() -> None:
    examples = [("greet", "hello"), ("greet", "hi"), ("order_status", "where is my order")]
    responses = {"utter_greet": [{"text": "Hi!", "buttons": [{"title": "A", "payload": "/a"}]}]}
    labels = {"greet": {"en": "Greeting", "ja": "あいさつ"}}

    first = TrainingData.from_records(examples, responses, labels)
    again = TrainingData.from_records(
        list(reversed(examples)), dict(responses), {"greet": {"ja": "あいさつ", "en": "Greeting"}}
    )
    assert len(first.data_hash) == 64 and first.data_hash == again.data_hash
    assert [(e.source, e.line) for e in first.examples] == [("record", 0)] * 3

    changed = TrainingData.from_records([*examples, ("greet", "hey")], responses, labels)
    assert changed.data_hash != first.data_hash
    other_answer = {"utter_greet": [{"text": "Hello!"}]}
    assert TrainingData.from_records(examples, other_answer, labels).data_hash != first.data_hash

    # The same content read from an export hashes the same.
    assert read_rasa(list(write_rasa(first).items())).data.data_hash == first.data_hash


def test_from_records_reports_duplicates_across_intents() -> None:
    with pytest.raises(TrainingDataError) as caught:
        TrainingData.from_records(
            [("order_status", "Where is my order"), ("refund_status", "where is my  ORDER")],
            {},
            {},
        )
    (problem,) = caught.value.problems
    assert problem == Problem(
        "record",
        None,
        "example 'where is my  ORDER' of intent 'refund_status' is already an example "
        "of intent 'order_status'",
    )


def test_from_records_keeps_a_repeat_within_an_intent_once() -> None:
    data = TrainingData.from_records([("greet", "hello"), ("greet", "Hello")], {}, {})
    assert data.texts() == ["hello"]


def test_from_records_rejects_what_an_import_would_skip() -> None:
    with pytest.raises(TrainingDataError) as caught:
        TrainingData.from_records(
            [("greet", "hello"), ("faq/hours", "when are you open"), ("greet", " ")],
            {"utter_greet": [{"image": "https://example.com/a.png"}], "utter_x": "hi"},
            {"greet": "Greeting"},
        )
    assert [p.message for p in caught.value.problems] == [
        "invalid intent name 'faq/hours'",
        "intent 'greet': empty example ' '",
        "response 'utter_x': expected a list of variations",
        "response 'utter_greet' skipped: none of its variations has text",
        "labels: 'greet': expected a mapping of language to title",
    ]


def test_yaml_aliases_are_refused_before_they_expand() -> None:
    # Nine levels of aliases would expand these few hundred bytes to gigabytes.
    levels = ["  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
        f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = "nlu:\n- intent: a\n  examples: |\n    - hello\nlabels:\n" + "\n".join(levels) + "\n"
    with pytest.raises(TrainingDataError, match="aliases") as caught:
        read_rasa([("bomb.yml", bomb)])
    assert caught.value.problems[0].source == "bomb.yml"


def test_entities_synonyms_regexes_and_lookups_of_many_files_make_one_warning() -> None:
    first = """\
nlu:
- intent: order_status
  examples: |
    - where is order [12345](order_id)
    - track [A-778]{"entity": "order_id"}
- synonym: parcel
  examples: |
    - package
- regex: order_id
  examples: |
    - \\d{5}
"""
    second = """\
nlu:
- intent: check_weather
  examples:
  - text: weather in [Osaka](city)
- lookup: city
  examples: |
    - Osaka
- lookup: country
  examples: |
    - Japan
"""
    result = read_rasa([("data/a.yml", first), ("data/b.yml", second)])
    assert result.warnings == [
        Problem("data/a.yml", 4,
                "ignored, the built-in engine classifies intents only: "
                "3 entity annotations, 1 synonym ('parcel'), 1 regular expression "
                "('order_id'), 2 lookup tables ('city', 'country') "
                "(the examples are kept without their entity markup)"),
    ]  # fmt: skip
    assert pairs(result.data) == Counter({
        ("order_status", "where is order 12345"): 1, ("order_status", "track A-778"): 1,
        ("check_weather", "weather in Osaka"): 1,
    })  # fmt: skip


#: What Rasa 3.6's schema allows and a built-in bot has no use for (tests/rasa/
#: test_rasa_validate.py runs the real `rasa data validate` on it).
EVERY_FORM_DOMAIN = """\
version: "3.1"
intents:
- greet
- mood_unhappy:
    use_entities: []
entities:
- city:
    roles: [departure, destination]
slots:
  name:
    type: text
    influence_conversation: false
    mappings:
    - type: custom
forms:
  address_form:
    required_slots: [name]
actions:
- action_handoff
responses:
  utter_greet:
  - text: "Hey {name}! How are you?"
    condition:
    - type: slot
      name: name
      value: Aoi
    id: greet_known
  - text: "Hey! How are you?"
    buttons:
    - title: "great"
      payload: "/mood_great"
    - title: "sad"
      payload: '/mood_unhappy{"mood": "sad"}'
    button_type: vertical
    channel: rest
  utter_cheer_up:
  - text: "Here is something to cheer you up:"
    image: "https://i.imgur.com/nGF1K8f.jpg"
    metadata: {rich_response: true}
  utter_handoff:
  - custom:
      handoff: true
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
config:
  store_entities_as_slots: true
"""
EVERY_FORM_NLU = """\
version: "3.1"
nlu:
- intent: greet
  metadata: {sentiment: neutral}
  examples:
  - text: hey
    metadata: {sentiment: neutral}
  - text: |
      good morning
- intent: mood_unhappy
  examples: |
    - I am sad
    - not good
"""


def test_every_form_rasa_data_validate_accepts_loads() -> None:
    """What Rasa 3.6's schema allows and a built-in bot has no use for loads, silently:
    intent and example metadata, conditional and channel variations, images,
    button types, custom payloads, slots, forms, entity roles, domain config."""
    files = [("domain.yml", EVERY_FORM_DOMAIN), ("data/nlu.yml", EVERY_FORM_NLU)]
    result = read_rasa(files)
    assert result.warnings == [
        Problem("domain.yml", line_of(files, "domain.yml", "utter_handoff:"),
                "response 'utter_handoff' skipped: none of its variations has text"),
    ]  # fmt: skip
    responses = result.data.responses
    assert responses["utter_greet"] == [
        {"text": "Hey {name}! How are you?"},
        {"text": "Hey! How are you?", "buttons": [
            {"title": "great", "payload": "/mood_great"},
            {"title": "sad", "payload": '/mood_unhappy{"mood": "sad"}'},
        ]},
    ]  # fmt: skip
    assert responses["utter_cheer_up"] == [{"text": "Here is something to cheer you up:"}]
    assert pairs(result.data) == Counter({
        ("greet", "hey"): 1, ("greet", "good morning"): 1,
        ("mood_unhappy", "I am sad"): 1, ("mood_unhappy", "not good"): 1,
    })  # fmt: skip
