import pytest

from stoplist.domain.e164 import is_e164_shaped
from stoplist.domain.numbers import normalize


@pytest.mark.parametrize("text", ["+1234567", "+33612345678", "+123456789012345"])
def test_plus_and_7_to_15_digits_is_the_shape(text):
    assert is_e164_shaped(text)


@pytest.mark.parametrize(
    "text",
    [
        "+123456",  # 6 digits
        "+1234567890123456",  # 16 digits
        "0612345678",
        "33612345678",
        "+0612345678",
        "+33 612345678",
        "+33612345678\n",
        "++33612345678",
        "+\u0663\u0663\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
        "+",
    ],
)
def test_anything_else_is_not(text):
    assert not is_e164_shaped(text)


@pytest.mark.parametrize("raw", ["06 12 34 56 78", "0033612345678", "+590690845073", "12025550123"])
def test_every_normalized_number_has_the_shape(raw):
    assert is_e164_shaped(normalize(raw, "FR"))
