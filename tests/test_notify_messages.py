"""Message builders: Slack Block Kit, the Teams Adaptive Card envelope, the webhook body, the
e-mail; and the channel target checks. Pure functions, checked against the documented shapes."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outlay.errors import InputError
from outlay.notify.mail import mail_of
from outlay.notify.notice import notice_of, trial_notice
from outlay.notify.slack import slack_payload
from outlay.notify.targets import check_name, check_recipients, check_url, mask_target
from outlay.notify.teams import teams_payload
from outlay.notify.webhook import signature, webhook_request
from tests.channel_kit import make_event

PUBLIC = "https://outlay.example.com"
DIGEST = {
    "report": "Weekly by user",
    "total": "1234.5",
    "previous": "1000",
    "change_pct": "23.46",
    "movers": [{"group": "ada@example.com", "amount": "400", "change": "150.25"}],
    "rows": [["ada@example.com", "400"], ["bob@example.com", "834.5"]],
}
#: Block types an incoming webhook message may hold (Block Kit reference).
SLACK_BLOCKS = {"header", "section", "actions", "context", "divider"}


def digest_event() -> Any:
    return make_event(
        "digest", rule="weekly", threshold=None, group={}, amount=Decimal("1234.5"),
        message="Weekly by user: $1,234.50, +23.5% on the week before", detail=DIGEST,
    )  # fmt: skip


def kinds() -> list[Any]:
    return [
        make_event("budget"),
        make_event("budget", forecast=True, message="Platform will exceed its budget"),
        make_event("cost_alert", threshold="250"),
        make_event(
            "anomaly",
            threshold=None,
            expected=Decimal("12"),
            group={"resource": "ada@example.com", "service": "claude-4-opus"},
        ),
        digest_event(),
    ]


@pytest.mark.parametrize("event", kinds(), ids=lambda e: f"{e.kind}")
def test_slack_messages_are_block_kit_within_its_limits(event: Any) -> None:
    payload = slack_payload(notice_of(event, "Default", PUBLIC))
    assert set(payload) == {"text", "blocks"} and payload["text"] == event.message
    blocks = payload["blocks"]
    assert {b["type"] for b in blocks} <= SLACK_BLOCKS
    header = blocks[0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert 0 < len(header["text"]["text"]) <= 150
    for block in blocks:
        if block["type"] == "section":
            texts = [block["text"]] if "text" in block else block["fields"]
            assert len(texts) <= 10
            assert all(t["type"] == "mrkdwn" and len(t["text"]) <= 3000 for t in texts)
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert actions["elements"][0]["url"].startswith(PUBLIC + "/")


def test_slack_text_cannot_inject_links_or_mentions() -> None:
    event = make_event(message="<!channel> spent <https://evil.example|here> & more")
    section = slack_payload(notice_of(event, "Default", None))["blocks"][1]
    assert section["text"]["text"] == (
        "&lt;!channel&gt; spent &lt;https://evil.example|here&gt; &amp; more"
    )


@pytest.mark.parametrize("event", kinds(), ids=lambda e: f"{e.kind}")
def test_teams_messages_are_one_adaptive_card_in_the_message_envelope(event: Any) -> None:
    payload = teams_payload(notice_of(event, "Default", PUBLIC))
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["body"][0] == {
        "type": "TextBlock", "text": card["body"][0]["text"], "wrap": True, "size": "Large",
        "weight": "Bolder",
    }  # fmt: skip
    for element in card["body"]:
        assert element["type"] in {"TextBlock", "FactSet"}
        if element["type"] == "FactSet":
            assert all(set(f) == {"title", "value"} for f in element["facts"])
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open in outlay", "url": card["actions"][0]["url"]}
    ]


def test_without_a_public_url_no_message_carries_a_link() -> None:
    notice = notice_of(make_event(), "Default", None)
    assert notice.url is None and "url" not in notice.body
    assert "actions" not in teams_payload(notice)["attachments"][0]["content"]
    assert all(b["type"] != "actions" for b in slack_payload(notice)["blocks"])
    assert "Open in outlay" not in mail_of(notice).text


def test_the_webhook_body_follows_the_contract_for_each_kind() -> None:
    budget, _, cost, anomaly, digest = kinds()
    body = notice_of(cost, "Team A", PUBLIC).body
    assert list(body) == ["id", "kind", "rule", "workspace", "period", "group", "amount",
                          "threshold", "message", "url"]  # fmt: skip
    assert body["threshold"] == "250" and body["workspace"] == "Team A"
    assert notice_of(anomaly, "A", None).body["expected"] == "12"
    assert "threshold" not in notice_of(anomaly, "A", None).body
    assert notice_of(budget, "A", None).body["forecast"] is False
    assert notice_of(digest, "A", None).body["detail"] == DIGEST
    # An event that names no report links to the events page of its workspace.
    plain = make_event(report_path=None)
    assert (
        notice_of(plain, "Team A", PUBLIC + "/").url == PUBLIC + "/alerts/events?workspace=Team+A"
    )


def test_a_digest_renders_its_total_change_movers_and_rows_as_tables() -> None:
    notice = notice_of(digest_event(), "Default", PUBLIC)
    assert notice.title == "Report digest Weekly by user"
    assert ("Total", "$1,234.50") in notice.facts and ("Change", "+23.5%") in notice.facts
    assert ("Previous period", "$1,000.00") in notice.facts
    mail = mail_of(notice)
    assert "Top movers" in mail.text and "ada@example.com  $400.00  $150.25" in mail.text
    assert '<td align="right">$834.50</td>' in mail.html
    slack_text = json.dumps(slack_payload(notice))
    assert "bob@example.com" in slack_text and "```" in slack_text
    teams = teams_payload(notice)["attachments"][0]["content"]["body"]
    assert {"title": "bob@example.com", "value": "$834.50"} in teams[-2]["facts"]


def test_an_email_subject_is_one_line_and_its_html_is_escaped() -> None:
    event = make_event(rule="evil\r\nBcc: x@y.z", message="<script>alert(1)</script>")
    mail = mail_of(notice_of(event, "Default", PUBLIC))
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert mail.text.startswith("<script>alert(1)</script>\n")


def test_the_test_message_says_which_channel_works() -> None:
    notice = trial_notice("test-1", "ops", "Default", PUBLIC)
    assert notice.kind == "test" and notice.body["kind"] == "test"
    assert notice.body["message"] == "Test from outlay: channel ops of workspace Default works."
    _, headers = webhook_request(notice, "k")
    assert headers["X-Outlay-Event"] == "test" and headers["X-Outlay-Delivery"] == "test-1"


@given(body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=40))
def test_a_receiver_verifies_the_signature_with_the_secret_alone(body: bytes, secret: str) -> None:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature(body, secret), expected)


@given(token=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=20, max_size=60))
def test_a_masked_url_shows_the_host_and_at_most_four_characters_of_the_rest(token: str) -> None:
    url = f"https://hooks.slack.com/services/{token}"
    masked = mask_target("slack", url)
    assert masked == f"https://hooks.slack.com/…{token[-4:]}"
    assert token[:-4] not in masked


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        ("webhook", "http://example.com/hook/tok123", "uses plain http"),
        ("slack", "ftp://example.com/tok123", r"is not an http\(s\) URL"),
        ("teams", "https://user:tok123@example.com/x", "must not carry a user name"),
        ("webhook", "not a url tok123", r"is not an http\(s\) URL"),
    ],
)
def test_a_bad_url_is_refused_without_repeating_it(kind: str, url: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as refused:
        check_url(kind, url)
    assert "tok123" not in str(refused.value) and refused.value.field == "url"


def test_loopback_http_and_any_https_url_are_accepted() -> None:
    for url in ("http://127.0.0.1:9000/x", "http://localhost/x", "http://[::1]:80/x",
                "https://prod-12.westus.logic.azure.com/workflows/a?sig=b"):  # fmt: skip
        assert check_url("webhook", url) == url


def test_names_and_recipients_are_checked() -> None:
    for name in ("", "a/b", "a,b", "x" * 101):
        with pytest.raises(InputError, match="channel name"):
            check_name(name)
    assert check_recipients(" a@b.co, c@d.io ,a@b.co") == ("a@b.co", "c@d.io")
    for bad in ("", "nobody", "a@b.co,<x@y.z>", ",".join(f"u{i}@x.io" for i in range(51))):
        with pytest.raises(InputError):
            check_recipients(bad)


def test_a_long_recipient_list_is_masked_to_what_the_table_keeps() -> None:
    addresses = ",".join(f"someone.with.a.long.name{i}@example.com" for i in range(50))
    masked = mask_target("email", ",".join(check_recipients(addresses)))
    assert len(masked) <= 200 and masked.endswith(" more")
    assert masked.startswith("someone.with.a.long.name0@example.com,")
    with pytest.raises(InputError, match="longer than 2048"):
        check_url("webhook", "https://e.io/" + "x" * 2048)
