"""Reading the layout of a file from its first lines: delimiter, header, phone column."""

from __future__ import annotations

import pytest

from stoplist.domain.columns import (
    chosen_column,
    detect_delimiter,
    detect_layout,
    phone_columns,
    words,
)
from stoplist.domain.errors import ColumnNotInFile, InvalidParameter, StoplistError
from stoplist.domain.numbers import normalize


def _is_number(cell: str) -> bool:
    try:
        normalize(cell)
    except StoplistError:
        return False
    return True


@pytest.mark.parametrize(
    ("lines", "delimiter"),
    [
        (["name,mobile", "Ann,0612345678", "Bob,0611111111"], ","),
        (["Nom;Téléphone;Email", "Dupont, Jean;0612345678;j@x.fr"], ";"),
        (["id\tmsisdn", "1\t33612345678"], "\t"),
        (["a|b", "Ann|0612345678"], "|"),
        (['"Dupont, Jean";0612345678', '"Durand, Zoé";0611111111'], ";"),
        (["0612345678", "06 11 11 11 11", "+33 6 22 22 22 22"], None),
        (["06.12.34.56.78", "(415) 555-2671"], None),
    ],
)
def test_the_delimiter_is_the_one_that_splits_the_lines_alike(lines, delimiter):
    assert detect_delimiter(lines) == delimiter


@pytest.mark.parametrize(
    "header",
    [
        "phone", "Phone Number", "MOBILE", "Cell phone", "tel", "Tél.", "telephone",
        "Téléphone", "Portable", "Numéro de téléphone", "msisdn", "GSM", "móvil", "celular",
        "Handy", "Telefon", "Telefonnummer", "cellulare", "telefono", "Telemóvel", "telefoon",
        "mobiel", "phone_number", "phoneNumber", "Mobile-Phone",
    ],
)  # fmt: skip
def test_phone_headers_in_every_language(header):
    assert phone_columns(["Name", header, "Email"]) == [1]


def test_a_phone_word_beats_a_number_word():
    assert phone_columns(["Customer number", "Mobile"]) == [1]
    assert phone_columns(["id", "Numéro"]) == [1]
    assert phone_columns(["name", "email"]) == []


CRM_HEADER = "Nom;Prénom;Téléphone fixe;Téléphone portable;Email"


def test_of_two_phone_columns_the_one_with_more_numbers_is_read():
    """A CRM's landline column is mostly empty; its mobile column is what STOPs come from."""
    lines = [
        CRM_HEADER,
        "Dupont;Jean;;0612345678;j@x.fr",
        "Durand;Zoé;0145454545;0611111111;z@x.fr",
        "Martin;Léa;;0622222222;l@x.fr",
    ]
    layout = detect_layout(lines, _is_number)
    assert (layout.column, layout.column_name()) == (3, "Téléphone portable")


@pytest.mark.parametrize(
    "header", [CRM_HEADER, "Nom;Prénom;Téléphone;Portable;Email", "Name;First;Phone;Mobile;Email"]
)
def test_of_two_full_phone_columns_the_mobile_one_is_read(header):
    lines = [header, "Dupont;Jean;0145454545;0612345678;j@x.fr"]
    assert detect_layout(lines, _is_number).column == 3


def test_words_drop_accents_case_and_punctuation():
    assert words("Numéro de TÉLÉPHONE (portable)") == ["numero", "de", "telephone", "portable"]
    assert words("Straße") == ["strasse"]


def test_without_a_header_the_column_with_most_numbers_is_read():
    layout = detect_layout(
        ["Ann,ann@x.fr,0612345678", "Bob,bob@x.fr,hello", "Cid,cid@x.fr,0611111111"], _is_number
    )
    assert (layout.header, layout.column, layout.column_name()) == (None, 2, "3")


def test_a_first_line_of_words_is_a_header_even_without_a_phone_word():
    layout = detect_layout(["Nom,Contact", "Ann,0612345678"], _is_number)
    assert layout.header == ("Nom", "Contact")
    assert (layout.column, layout.column_name()) == (1, "Contact")


def test_a_first_line_with_a_number_is_data_whatever_its_words():
    layout = detect_layout(["Mobile shop,0612345678", "Bakery,0611111111"], _is_number)
    assert (layout.header, layout.column) == (None, 1)


def test_no_column_of_numbers():
    layout = detect_layout(["name,email", "Ann,ann@x.fr"], _is_number)
    assert layout.column is None
    assert layout.column_names() == ("name", "email")


def test_the_user_names_the_column_by_header_or_position():
    lines = ["id,home,work", "1,0140000000,0612345678"]
    assert detect_layout(lines, _is_number, "Work").column == 2
    assert detect_layout(lines, _is_number, "2").column == 1
    assert chosen_column("téléphone", ["Nom", "Téléphone"]) == 1
    with pytest.raises(InvalidParameter, match="no column named 'fax'; columns are: id, home"):
        chosen_column("fax", ["id", "home"])
    with pytest.raises(InvalidParameter, match="positions go from 1 to 16384"):
        chosen_column("0", ["id"])


def test_a_position_past_the_last_column_names_the_columns():
    with pytest.raises(ColumnNotInFile, match="no column 9; columns are: Nom, Téléphone"):
        detect_layout(["Nom;Téléphone", "A;06 12 34 56 78"], _is_number, "9")
    with pytest.raises(ColumnNotInFile, match="no column 3; columns are: 1, 2"):
        detect_layout(["0612345678,x", "0611111111,y"], _is_number, "3")
    assert detect_layout(["0612345678,x,"], _is_number, "3").column == 2  # an empty last cell


def test_a_hostile_position_is_a_clear_refusal():
    for position in ("9" * 5000, "16385", "-1"):
        with pytest.raises(InvalidParameter):
            chosen_column(position, ["id"])
    # Digits of other scripts are names, never positions.
    with pytest.raises(InvalidParameter, match="no column named '١'"):
        chosen_column("١", ["id"])
