"""The one number a call is about: spellings of one number are one, different numbers several."""

import pytest

from stoplist.domain.errors import InvalidPhoneNumber, Reason
from stoplist.domain.one_number import one_number


def test_nothing_sent_is_no_number():
    assert one_number([], "FR") is None
    assert one_number([[]], "FR") is None


def test_one_value_is_returned_as_sent_for_the_caller_to_read():
    assert one_number(["06 12 34 56 78"], "FR") == "06 12 34 56 78"
    assert one_number([["abc"]], "FR") == "abc"  # the caller says why it is not a number
    assert one_number(["abc", ["abc"]], "FR") == "abc"


def test_spellings_of_one_number_are_that_number_as_first_sent():
    assert one_number(["0612345678", "+33612345678"], "FR") == "0612345678"
    assert one_number([["06.12.34.56.78", "0033612345678", "33612345678"]], "FR") == (
        "06.12.34.56.78"
    )
    assert one_number(["+447400123456", ["07400 123456"]], "GB") == "+447400123456"


@pytest.mark.parametrize(
    ("values", "region"),
    [
        (["0612345678", "0612345679"], "FR"),
        ([["0612345678", "+33612345679"]], "FR"),
        (["0612345678", "abc"], "FR"),
        ([["0612345678", ""]], "FR"),
        ([["0612345678", None]], "FR"),
        ([["0612345678", ["0612345678"]]], "FR"),
        (["07400123456", "+447400123456"], "FR"),  # a national form of another region
    ],
)
def test_different_numbers_or_a_number_and_something_else_are_several(values, region):
    with pytest.raises(InvalidPhoneNumber) as refused:
        one_number(values, region)
    assert refused.value.reason is Reason.SEVERAL_NUMBERS
