"""The configuration file and the settings: errors name the file, the place and the problem."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, load_business_config
from bot.settings import SettingsError, load_settings
from bot.template_store import missing_templates

DEFAULT = Path(__file__).resolve().parents[2] / "config" / "salesbot.yaml"


def write(tmp_path: Path, mutate: object) -> Path:
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    assert callable(mutate)
    mutate(data)
    path = tmp_path / "salesbot.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_configuration_is_valid() -> None:
    config = load_business_config(DEFAULT)
    assert config.company.name.get("ru") == "ООО «Ромашка»"
    assert config.company.name.get("en") == "Romashka LLC"
    assert config.company.name.get("de") == "ООО «Ромашка»"  # falls back to Russian


def test_a_wrong_weight_names_the_file_and_the_path(tmp_path: Path) -> None:
    path = write(tmp_path, lambda d: d["scoring"]["timeline"].__setitem__("now", "lots"))
    with pytest.raises(ConfigError) as error:
        load_business_config(path)
    message = str(error.value)
    assert str(path) in message and "scoring.timeline.now" in message and "integer" in message


def test_scoring_of_an_unknown_choice_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, lambda d: d["scoring"]["budget"].__setitem__("huge", 50))
    with pytest.raises(
        ConfigError, match=r"\n  scoring.budget names unknown choice\(s\) \['huge'\]"
    ):
        load_business_config(path)


def test_a_missing_russian_text_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, lambda d: d["company"].__setitem__("name", {"en": "X"}))
    with pytest.raises(ConfigError, match=r"company\.name: a Russian text"):
        load_business_config(path)


def test_an_invalid_campaign_code_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, lambda d: d["sources"]["campaigns"][0].__setitem__("code", "bad code"))
    # The first campaign is #1, as an operator counts, and is named by its code.
    with pytest.raises(ConfigError, match=r"  sources\.campaigns#1\(bad code\)\.code: "):
        load_business_config(path)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("company:\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line"):
        load_business_config(path)


def test_a_key_written_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("scoring:\n  warm_from: 30\n  warm_from: 40\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 3.*'warm_from' is written twice"):
        load_business_config(path)


def test_yaml_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "merged.yaml"
    shipped = DEFAULT.read_text(encoding="utf-8")
    assert "\nscoring:\n" in shipped
    path.write_text(  # the same weights, written once and merged in
        shipped.replace("\nscoring:\n", "\nscoring: &weights\n") + "\nx-copy:\n  <<: *weights\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="x-copy") as error:  # an unknown section, not YAML
        load_business_config(path)
    assert "not valid YAML" not in str(error.value)


def test_a_template_that_is_not_there_is_named(tmp_path: Path) -> None:
    config = load_business_config(
        write(tmp_path, lambda d: d["documents"]["types"][0].update(pdf="ofer.html"))
    )
    assert missing_templates(config, tmp_path) == ["documents.types.offer.pdf: ofer.html"]
    (tmp_path / "ofer.html").write_text("<p>uploaded</p>", encoding="utf-8")
    assert missing_templates(config, tmp_path) == []  # an uploaded one counts


def test_a_missing_file_says_how_to_point_at_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SALESBOT_CONFIG"):
        load_business_config(tmp_path / "nope.yaml")


def test_a_folder_or_a_file_not_in_utf8_is_named_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="a folder, not a file"):
        load_business_config(tmp_path)
    legacy = tmp_path / "cp1251.yaml"
    legacy.write_bytes("company:\n  name: Ромашка\n".encode("cp1251"))
    with pytest.raises(ConfigError, match=r"not UTF-8 text.*save it in the UTF-8 encoding"):
        load_business_config(legacy)


def test_an_env_file_not_in_utf8_is_named(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_bytes("BOT_TOKEN=123456:ABCdef\nCOMPANY=Ромашка\n".encode("cp1251"))
    with pytest.raises(SettingsError, match=r"\.env: not UTF-8"):
        load_settings(_env_file=env)


def test_settings_read_admin_ids_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "123, 456")
    monkeypatch.setenv("BOT_TOKEN", "123456:ABCdef-xyz")
    settings = load_settings(_env_file=None)
    assert settings.admin_ids == frozenset({123, 456})
    assert settings.bot_token is not None and "ABCdef" not in repr(settings.bot_token)


def test_every_process_of_a_bot_derives_the_same_webhook_secret_unless_one_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123456:ABCdef-xyz")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com/tg")
    first, second = load_settings(_env_file=None), load_settings(_env_file=None)
    assert first.webhook_token() == second.webhook_token()
    assert "ABCdef" not in first.webhook_token() and first.webhook_path == "/tg"
    monkeypatch.setenv("BOT_TOKEN", "123456:ABCdef-xyy")
    assert load_settings(_env_file=None).webhook_token() != first.webhook_token()
    monkeypatch.setenv("WEBHOOK_SECRET", "chosen_secret-0123456789")
    assert load_settings(_env_file=None).webhook_token() == "chosen_secret-0123456789"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIN_IDS", "alice,bob"),
        ("TIMEZONE", "Mars/Olympus"),
        ("BOT_TOKEN", "not-a-token"),
        ("DATABASE_URL", "mysql://x"),
        ("TELEGRAM_API_URL", "ftp://x"),
        ("DEFAULT_LOCALE", "de"),
        # half-written: each had passed, then failed at run time or used a database unasked
        ("DATABASE_URL", "postgresql+asyncpg://"),
        ("DATABASE_URL", "sqlite+aiosqlite://"),
        ("REDIS_URL", "redis://"),
        ("BOT_TOKEN", "123456:ABC def"),
        ("ADMIN_IDS", "-100123"),  # a group's id, not a person's
        ("DATABASE_URL", "postgresql+asyncpg://u@localhost:99999/db"),
        ("REDIS_URL", "redis://localhost:abc/0"),
        ("WEBHOOK_URL", "bot.example.com/telegram"),  # no scheme: Telegram would refuse it
        ("WEBHOOK_SECRET", "with spaces and long enough"),
        ("WEBHOOK_SECRET", "short"),
        ("WEBHOOK_PORT", "0"),
        ("WEBHOOK_PORT", "http"),
    ],
)
def test_a_wrong_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"{name}:"):
        load_settings(_env_file=None)


def test_the_shipped_pipeline_follows_the_sales_method() -> None:
    pipeline = load_business_config(DEFAULT).pipeline
    assert [stage.id for stage in pipeline.stages] == [
        "contact",
        "needs",
        "presentation",
        "objections",
        "closing",
        "post_sale",
    ]
    needs = pipeline.stage("needs")
    assert {"problems", "priority", "experience"} <= {q.id for q in needs.questions}
    assert {o.id for o in pipeline.objections} == {
        "expensive",
        "think",
        "not_needed",
        "competitors",
    }
    assert pipeline.domain().won_stage == "post_sale"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["pipeline"].update(won_stage="paradise"), "won_stage"),
        (
            lambda d: d["pipeline"]["stages"][1]["questions"].append(
                {"id": "reached", "text": "again"}
            ),
            "question ids must be unique",
        ),
        (
            lambda d: d["pipeline"]["stages"][1]["questions"][1].update(choices=[]),
            "needs at least two choices",
        ),
        (
            lambda d: d["pipeline"]["stages"][1].update(id="contact"),
            r"stage ids must be unique: \['contact'\]",
        ),
        (
            lambda d: d["pipeline"]["stages"][0]["questions"][0].update(deal_amount=True),
            "only a number can be the deal's amount",
        ),
        (
            lambda d: d["pipeline"]["stages"][1]["questions"][0].update(must_be_yes=True),
            "only a yes/no question can need a yes",
        ),
        (
            lambda d: d["pipeline"]["stages"][0]["questions"][0].update(required=False),
            "must_be_yes needs a required question",  # it would hold nothing
        ),
        (
            lambda d: d["pipeline"]["stages"][0]["questions"][0].update(type="colour"),
            r"pipeline\.stages#1\(contact\)\.questions#1\(\w+\)\.type: ",
        ),
    ],
)
def test_a_wrong_pipeline_is_refused_with_its_place(
    tmp_path: Path, mutate: object, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_business_config(write(tmp_path, mutate))


@pytest.mark.parametrize("written", ["9:00", "9", "18"])
def test_working_hours_written_without_quotes_are_refused_with_how_to_write_them(
    tmp_path: Path, written: str
) -> None:
    """YAML reads 9:00 unquoted as 540; taken as seconds, it made a time in UTC that broke every
    prospect's form after consent (check-config had passed it)."""
    text = DEFAULT.read_text(encoding="utf-8")
    quoted = 'working_hours: {start: "09:00"'
    assert quoted in text
    path = tmp_path / "salesbot.yaml"
    path.write_text(text.replace(quoted, f"working_hours: {{start: {written}"), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_business_config(path)
    assert "followups.working_hours.start" in str(error.value)
    assert 'in quotes, e.g. "09:00"' in str(error.value)


def test_working_hours_in_quotes_are_read_as_the_time_of_day(tmp_path: Path) -> None:
    path = write(
        tmp_path, lambda d: d["followups"]["working_hours"].update(start="8:30", end="18:00:00")
    )
    hours = load_business_config(path).followups.working_hours
    assert (hours.start, hours.start.tzinfo, hours.end) == (dt.time(8, 30), None, dt.time(18))


def test_the_company_e_mail_is_kept_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, lambda d: d["company"].update(email="Sales@Romashka.RU"))
    assert load_business_config(path).company.email == "Sales@Romashka.RU"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        # each had passed check-config
        (
            lambda d: d["pipeline"]["lost_reasons"].append({"id": "price", "label": "Дорого"}),
            r"lost reason ids must be unique: \['price'\]",
        ),
        (
            lambda d: d["pipeline"].update(won_stage="contact"),
            "won_stage 'contact' is the first stage",
        ),
        (
            lambda d: d["company"].update(name={"ru": "Ромашка", "eng": "Romashka"}),
            r"company\.name: unknown language \['eng'\]",
        ),
        (
            lambda d: d["company"].update(email="not an email"),
            "company.email: 'not an email' is not an e-mail address",
        ),
        (
            lambda d: d["documents"]["types"][0].update(pdf="../../README.md"),
            r"documents\.types#1\(offer\)\.pdf: '\.\./\.\./README\.md': a file name, without folders",
        ),
        # pydantic's words, in the words of the person editing the file
        (
            lambda d: d.update(catalogue=None),
            r"catalogue: empty: give at least one item \(a line starting with '- '\)",
        ),
        (
            lambda d: d["company"]["requisites"].update(inn=7701234567),
            'company.requisites.inn: expected text: put 7701234567 in quotes, "7701234567"',
        ),
        (
            lambda d: d["sources"]["campaigns"][0].update(code="vk ads"),
            r"'vk ads': only Latin letters, digits, _ and -, up to 64 characters",
        ),
        (
            lambda d: d["scoring"]["channel"].update(spear=5),
            r"scoring\.channel\.spear \(the key\): Input should be 'spears'",
        ),
    ],
)
def test_an_operators_slip_is_refused_in_words_they_can_act_on(
    tmp_path: Path, mutate: object, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_business_config(write(tmp_path, mutate))
