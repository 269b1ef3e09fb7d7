import pytest

from guardrails.recognizers.street_address import StreetAddressRecognizer

RECOGNIZER = StreetAddressRecognizer()


def _found(text: str) -> list[str]:
    return [text[r.start : r.end] for r in RECOGNIZER.analyze(text, ["STREET_ADDRESS"])]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        pytest.param(
            "ship to 1600 Pennsylvania Avenue NW please", "1600 Pennsylvania Avenue NW", id="us-direction"
        ),
        pytest.param(
            "742 Evergreen Terrace, Springfield, IL 62704 is home",
            "742 Evergreen Terrace, Springfield, IL 62704",
            id="us-city-state-zip",
        ),
        pytest.param("at 10 N. Oak Ave, Apt 4B", "10 N. Oak Ave, Apt 4B", id="us-unit"),
        pytest.param("send it to 123 main st", "123 main st", id="us-lower-case"),
        pytest.param("5040 Andrew Parkways", "5040 Andrew Parkways", id="us-plural-suffix"),
        pytest.param(
            "221B Baker Street, London NW1 6XE", "221B Baker Street, London NW1 6XE", id="uk-postcode"
        ),
        pytest.param("Flat 3, Jones Crescent", "Flat 3, Jones Crescent", id="uk-flat-first"),
        pytest.param("47 Smith crescent", "47 Smith crescent", id="uk-lower-suffix"),
        pytest.param("P.O. Box 4567", "P.O. Box 4567", id="po-box"),
    ],
)
def test_finds_addresses(text: str, address: str) -> None:
    assert _found(text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I ordered 3 blue court shoes", id="product-with-suffix-word"),
        pytest.param("it took 2 days way too long", id="quantity-then-way"),
        pytest.param("by the way, 3 of the items broke", id="by-the-way"),
        pytest.param("order 12345 shipped", id="order-number"),
        pytest.param("2 Large Pizzas", id="title-case-quantity"),
    ],
)
def test_ignores_customer_service_text(text: str) -> None:
    assert _found(text) == []
