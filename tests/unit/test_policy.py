"""Policy documents: what loads, what is refused and how the refusal reads; `candor policy check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from guardrails.base import Mode
from guardrails.policy import DEFAULT_POLICY_PATH, OnError, PolicyError, parse_policy


def test_the_shipped_default_policy_is_valid() -> None:
    policy = parse_policy(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))

    output = {rail.guardrail: rail for rail in policy.output}
    # The AI disclosure is on, and enforced, out of the box.
    assert output["disclosure"].mode is Mode.ENFORCE
    assert policy.on_guardrail_error is OnError.REFUSE
    assert all(rail.typed_params() is not None for rail in (*policy.input, *policy.output))


@pytest.mark.parametrize(
    ("document", "check"),
    [
        pytest.param("{}", lambda p: p.input == () and p.output == (), id="empty-mapping"),
        pytest.param(
            "output:\n  - guardrail: disclosure\n    mode: monitor\n    budget_ms: 50\n",
            lambda p: p.output[0].mode is Mode.MONITOR and p.output[0].budget_ms == 50,
            id="monitor-with-budget",
        ),
        pytest.param(
            "output:\n  - guardrail: disclosure\n    params:\n      text: This is an automated assistant.\n"
            "      every_turn: true\n",
            lambda p: p.output[0].typed_params().every_turn is True,
            id="disclosure-params",
        ),
        pytest.param(
            "on_guardrail_error: handoff\n",
            lambda p: p.on_guardrail_error is OnError.HANDOFF,
            id="handoff-on-error",
        ),
        pytest.param(
            "input:\n  - guardrail: disclosure\noutput:\n  - guardrail: disclosure\n",
            lambda p: len(p.input) == len(p.output) == 1,
            id="same-rail-in-two-stages",
        ),
    ],
)
def test_valid_policies(document: str, check) -> None:
    assert check(parse_policy(document))


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            "output:\n  - guardrail: disclosur\n",
            ["output.0", "'disclosur'", "known:"],
            id="unknown-guardrail",
        ),
        pytest.param(
            "output:\n  - guardrail: disclosure\n    params:\n      text: short\n",
            ["output.0.params.text", "at least 10 characters"],
            id="disclosure-text-too-short",
        ),
        pytest.param(
            "output:\n  - guardrail: disclosure\n    params:\n      colour: red\n",
            ["output.0.params.colour", "Extra inputs are not permitted"],
            id="unknown-param",
        ),
        pytest.param(
            "output:\n  - guardrail: disclosure\n  - guardrail: disclosure\n",
            ["output lists disclosure more than once"],
            id="duplicate-rail-in-stage",
        ),
        pytest.param(
            "output:\n  - guardrail: disclosure\n    mode: loud\n", ["output.0.mode"], id="unknown-mode"
        ),
        pytest.param(
            "output:\n  - guardrail: disclosure\n    budget_ms: 0\n", ["output.0.budget_ms"], id="zero-budget"
        ),
        pytest.param("outputs: []\n", ["outputs", "Extra inputs"], id="misspelt-top-level-key"),
        pytest.param("on_guardrail_error: ignore\n", ["on_guardrail_error"], id="unknown-on-error"),
        pytest.param("- disclosure\n- pii\n", ["must be a YAML mapping"], id="yaml-list"),
        pytest.param("just words\n", ["must be a YAML mapping"], id="yaml-scalar"),
        pytest.param("", ["must be a YAML mapping"], id="empty-document"),
        pytest.param("output: [\n", ["not valid YAML"], id="invalid-yaml"),
        pytest.param("output:\n\t- guardrail: disclosure\n", ["not valid YAML"], id="tab-indent"),
    ],
)
def test_invalid_policies_say_where_and_why(document: str, expected: list[str]) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(document)

    message = str(raised.value)
    for part in expected:
        assert part in message


def test_policy_check_accepts_a_good_file(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["policy", "check", str(DEFAULT_POLICY_PATH)])

    out = capsys.readouterr().out
    assert code == 0
    assert "ok" in out
    assert "disclosure" in out


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param("output:\n  - guardrail: nope\n", "unknown guardrail 'nope'", id="unknown-guardrail"),
        pytest.param("output: [\n", "not valid YAML", id="invalid-yaml"),
    ],
)
def test_policy_check_rejects_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: str, expected: str
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(document, encoding="utf-8")

    code = main(["policy", "check", str(path)])

    err = capsys.readouterr().err
    assert code == 1
    assert str(path) in err
    assert "invalid policy" in err
    assert expected in err
    assert "Traceback" not in err


def test_policy_check_on_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["policy", "check", str(tmp_path / "absent.yaml")])

    assert code == 1
    assert "cannot read" in capsys.readouterr().err
