"""`newsmon digest` and `newsmon alert` through click, as a user runs them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_newsmon
from tests.notify.conftest import RecordingHandler, SmtpServer, digest_config, free_port, sent, store, tagged


def test_digest_dry_run_prints_the_digest_and_records_nothing(tmp_path: Path) -> None:
    config = digest_config(tmp_path)
    store(config, tagged("a1", "Returnees reach Sinjar", scores={"returns": 0.7}))
    result = run_newsmon("digest", "--config", config.path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Subject: newsmon digest" in result.stdout
    assert "To: analyst@localhost, director@localhost" in result.stdout
    assert "Returnees reach Sinjar" in result.stdout
    assert "not sent, nothing recorded" in result.stdout
    assert not (tmp_path / "data" / "outbox").exists()
    assert sent(config) == []

    html = run_newsmon("digest", "--config", config.path, "--dry-run", "--html")
    assert "<!DOCTYPE html>" in html.stdout and "Returnees reach Sinjar" in html.stdout


def test_digest_command_writes_the_outbox_and_says_so(tmp_path: Path) -> None:
    config = digest_config(tmp_path)
    store(config, tagged("a1", "Returnees reach Sinjar", scores={"returns": 0.7}))
    result = run_newsmon("digest", "--config", config.path)
    assert result.exit_code == 0, result.output
    assert "digest sent: 1 article to " in result.stdout and "-digest.eml" in result.stdout
    again = run_newsmon("digest", "--config", config.path)
    assert "nothing tagged since the previous digest" in again.stdout


def test_a_server_that_is_down_is_an_error_with_exit_code_1(tmp_path: Path) -> None:
    config = digest_config(tmp_path, SmtpServer("127.0.0.1", free_port(), RecordingHandler()))
    store(config, tagged("a1", "Returnees reach Sinjar", scores={"returns": 0.7}))
    result = run_newsmon("digest", "--config", config.path)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach the SMTP server 127.0.0.1:")
    assert sent(config) == []


def test_alert_command_sends_pending_alerts_once(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server, alert_threshold=0.9)
    store(config, tagged("a1", "Daesh attack on Tarmiyah checkpoint", scores={"isis": 0.95}))
    dry = run_newsmon("alert", "--config", config.path, "--dry-run")
    assert "Subject: newsmon alert [isis]: Daesh attack on Tarmiyah checkpoint" in dry.stdout
    assert smtp_server.received == []

    result = run_newsmon("alert", "--config", config.path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("alert sent: 1 article to 2 recipient(s)")
    assert len(smtp_server.received) == 1
    assert "nothing sent" in run_newsmon("alert", "--config", config.path).stdout
