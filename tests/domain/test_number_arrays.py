import pytest

from stoplist.domain.e164 import is_e164_shaped
from stoplist.domain.number_arrays import e164_values

INPUTS = [
    "+33612345678",
    "+1234567",
    "+123456789012345",
    "+1234567890123456",
    "+123456",
    "+0612345678",
    "33612345678",
    " +33612345678",
    "+33 612345678",
    "++33612345678",
    "+33612345678a",
    "+\u0663\u0663\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",  # Arabic-Indic digits
    "+33612345678\x00",
    "+3361234\x005678",
    "\x00",
    "",
    "+",
    "+33612345678" * 3,
]


def test_the_shape_agrees_with_the_one_number_test():
    shaped, values = e164_values(INPUTS)
    assert shaped.tolist() == [is_e164_shaped(text) for text in INPUTS]
    for text, is_shaped, value in zip(INPUTS, shaped.tolist(), values.tolist(), strict=True):
        assert value == (int(text[1:]) if is_shaped else 0)


@pytest.mark.parametrize("other", [None, 33612345678, 3.5, True, ["+33612345678"], {}])
def test_inputs_that_are_not_text_are_never_shaped(other):
    shaped, values = e164_values(["+33612345678", other])
    assert shaped.tolist() == [True, False]
    assert values.tolist() == [33612345678, 0]


def test_no_inputs():
    shaped, values = e164_values([])
    assert len(shaped) == len(values) == 0
