"""The query language parser: precedence, phrases, fields, dates, errors, canonical text."""

from __future__ import annotations

from datetime import date

import pytest

from ipsentry.core.documents import Document, Match, Party, RiskKind, Role
from ipsentry.search.index import QueryError
from ipsentry.search.query import (
    And,
    DateRange,
    FieldText,
    FieldValue,
    MatchAll,
    Not,
    Or,
    Phrase,
    Word,
    format_query,
    keyword_values,
    normalize_case_number,
    normalize_country,
    parse_query,
    positive_text_leaves,
    text_field_values,
)

a, b, c = Word("a"), Word("b"), Word("c")


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a b OR c", Or((And((a, b)), c))),  # AND binds tighter than OR
        ("a OR b c", Or((a, And((b, c))))),
        ("a AND b OR c", Or((And((a, b)), c))),
        ("a OR b AND c", Or((a, And((b, c))))),
        ("NOT a b", And((Not(a), b))),  # NOT binds tightest
        ("-a OR b", Or((Not(a), b))),
        ("a AND NOT b", And((a, Not(b)))),
        ("a -b", And((a, Not(b)))),
        ("(a OR b) c", And((Or((a, b)), c))),
        ("a (b OR c)", And((a, Or((b, c))))),
        ("a AND (b AND c)", And((a, b, c))),  # same-kind nesting is flattened
        ("((a))", a),
        ("NOT NOT a", a),
        ("-(a OR b)", Not(Or((a, b)))),
        ("a or b", And((a, Word("or"), b))),  # operators are upper case only
    ],
)
def test_boolean_structure_and_precedence(text: str, tree: object) -> None:
    assert parse_query(text) == tree


@pytest.mark.parametrize("text", ["", "   ", "&", " - ", '""', "— &"])
def test_empty_or_token_free_queries_match_everything(text: str) -> None:
    assert parse_query(text) == MatchAll()


def test_long_runs_of_negation_do_not_exhaust_the_stack() -> None:
    assert parse_query("NOT " * 5000 + "a") == a
    assert parse_query("-" * 5001 + "a") == Not(a)


def test_words_without_letters_or_digits_are_dropped() -> None:
    assert parse_query("Apple & Samsung") == And((Word("Apple"), Word("Samsung")))


def test_phrases_english_and_chinese() -> None:
    assert parse_query('"limited exclusion order"') == Phrase("limited exclusion order")
    assert parse_query("“英诺赛科（苏州）”") == Phrase("英诺赛科（苏州）")
    assert parse_query('"华为 技术" exclusion') == And((Phrase("华为 技术"), Word("exclusion")))
    # A Chinese word needs no quotes: the whole run is one word (full-width brackets included).
    assert parse_query("英诺赛科（苏州） 华为") == And((Word("英诺赛科（苏州）"), Word("华为")))


def test_hyphen_inside_a_word_is_not_negation() -> None:
    assert parse_query("337-TA-1414") == Word("337-TA-1414")
    assert parse_query("Lithium-Ion -battery") == And((Word("Lithium-Ion"), Not(Word("battery"))))


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("kind:itc337", FieldValue("kind", "itc337")),
        ("KIND:ITC337", FieldValue("kind", "itc337")),
        ("stage:institution", FieldValue("stage", "institution")),
        ("source:Federal_Register", FieldValue("source", "federal_register")),
        ("court:ilnd", FieldValue("authority", "ilnd")),
        ("authority:USITC", FieldValue("authority", "usitc")),
        ("jurisdiction:us", FieldValue("jurisdiction", "US")),
        ("enterprise:0042", FieldValue("enterprise", "42")),
        ("class:9", FieldValue("class", "9")),
        ("country:CN", FieldValue("country", "CN")),
        ("country:China", FieldValue("country", "CN")),
        ('country:"P.R. China"', FieldValue("country", "CN")),
        ('country:"Hong Kong SAR"', FieldValue("country", "HK")),
        ("country:中国", FieldValue("country", "CN")),
        ('country:"Costa Rica"', FieldValue("country", "COSTA RICA")),
        ("case:337-TA-1414", FieldValue("case", "337-TA-1414")),
        ("case:337-1414", FieldValue("case", "337-TA-1414")),
        ('case:"DN  3801"', FieldValue("case", "DN 3801")),
        ("case:1:24-cv-02451", FieldValue("case", "1:24-CV-02451")),
        (
            'party:"Innoscience (Suzhou) Technology Company, Ltd."',
            FieldText("party", "Innoscience (Suzhou) Technology Company, Ltd."),
        ),
        ("party:华为", FieldText("party", "华为")),
        ("party:“英诺赛科”", FieldText("party", "英诺赛科")),
        ('firm:"Greer, Burns & Crain"', FieldText("firm", "Greer, Burns & Crain")),
        ("brand:HUAWEI", FieldText("brand", "HUAWEI")),
    ],
)
def test_fields_are_normalised(text: str, node: object) -> None:
    assert parse_query(text) == node


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("published:2025-01-01..2025-06-30", date(2025, 1, 1), date(2025, 6, 30)),
        ("published:2025-01-01..", date(2025, 1, 1), None),
        ("published:..2025-06-30", None, date(2025, 6, 30)),
        ("published:2025-03-07", date(2025, 3, 7), date(2025, 3, 7)),
        ("published:2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        ("published:2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("published:2024..2025-02", date(2024, 1, 1), date(2025, 2, 28)),
        ('published:"2025-01-01..2025-06-30"', date(2025, 1, 1), date(2025, 6, 30)),
    ],
)
def test_date_ranges(text: str, start: date | None, end: date | None) -> None:
    assert parse_query(text) == DateRange("published", start, end)


def test_fields_combine_with_text_and_operators() -> None:
    tree = parse_query('exclusion kind:itc337 (country:CN OR party:"Shenzhen") -stage:termination')
    assert tree == And(
        (
            Word("exclusion"),
            FieldValue("kind", "itc337"),
            Or((FieldValue("country", "CN"), FieldText("party", "Shenzhen"))),
            Not(FieldValue("stage", "termination")),
        )
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(a OR b", "unbalanced '(' at character 1"),
        ("a (b (c)", "unbalanced '(' at character 3"),
        ("a OR b)", "unbalanced ')' at character 7"),
        (")", "unbalanced ')' at character 1"),
        ("()", "empty parentheses at character 1"),
        ("foo:bar", "unknown field 'foo' at character 1"),
        ("exclusion http://example.com", "unknown field 'http' at character 11"),
        ("published:2025-13-01", "month must be 1 to 12"),
        ("published:2025-02-30", "day must be 1 to 28"),
        ("published:yesterday", "bad date 'yesterday'"),
        ("published:2025-06-01..2025-01-01", "starts (2025-06-01) after it ends (2025-01-01)"),
        ("published:..", "at least one end"),
        ("kind:patent", "unknown kind 'patent'"),
        ("stage:instituton", "did you mean institution"),
        ("class:46", "from 1 to 45"),
        ("enterprise:abc", "enterprise must be a whole number"),
        ('party:"Shenzhen', "unterminated quote at character 7"),
        ('a "b', "unterminated quote at character 3"),
        ("party:&", "needs some letters or digits"),
        ("kind:", "kind: at character 1 has no value"),
        ("kind:(itc337 OR trademark)", "cannot take a group"),
        ("AND a", "'AND' at character 1 has no term before it"),
        ("a AND", "'AND' at character 3 has no term after it"),
        ("a OR OR b", "'OR' at character 3 is followed by 'OR'"),
        ("NOT", "'NOT' at character 1 has no term after it"),
        ("a NOT NOT", "'NOT' at character 7 has no term after it"),
        ("(" * 40 + "a" + ")" * 40, "nested more than 32 deep at character 33"),
    ],
)
def test_bad_queries_say_where_and_why(text: str, message: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_query(text)
    assert message in str(error.value)


@pytest.mark.parametrize(
    "text",
    [
        "a b OR c",
        "(a OR b) -(c d)",
        '"limited exclusion order" kind:itc337 -stage:termination',
        'party:"Innoscience (Suzhou)" OR firm:"Greer, Burns & Crain" brand:英诺',
        "published:..2025-06-30 case:337-1414 country:China",
        'case:"DN 3801" class:9 enterprise:7 court:ilnd',
        "华为 OR (英诺 AND NOT 赛科)",
        "12:30 AND x",
    ],
)
def test_format_query_round_trips(text: str) -> None:
    tree = parse_query(text)
    assert parse_query(format_query(tree)) == tree


def test_format_query_is_canonical() -> None:
    assert format_query(parse_query("a b OR -c court:ILND")) == "a AND b OR NOT c AND authority:ilnd"
    assert format_query(parse_query("published:2025")) == "published:2025-01-01..2025-12-31"


def test_positive_text_leaves_skip_negated_and_structured_clauses() -> None:
    tree = parse_query('exclusion OR NOT limited party:"Hairun" kind:itc337 -(battery OR cell)')
    assert positive_text_leaves(tree) == [Word("exclusion"), FieldText("party", "Hairun")]


def test_field_values_of_a_document_use_the_same_normalisation() -> None:
    document = Document(
        id="cl:docket:1",
        source="courtlistener",
        kind=RiskKind.ECOMMERCE,
        native_id="1",
        title="Nike, Inc. v. The Partnerships and Unincorporated Associations Identified on Schedule A",
        authority="ILND",
        jurisdiction="us",
        case_numbers=["1:24-cv-02451"],
        classes=[25, 9],
        parties=[
            Party(name="Nike, Inc.", role=Role.PLAINTIFF, country="United States"),
            Party(name="Greer, Burns & Crain, Ltd.", role=Role.ATTORNEY),
            Party(name="华为智选旗舰店", role=Role.DEFENDANT, country="P.R. China", aliases=["HW Select"]),
        ],
        extra={"law_firms": ["Greer Burns & Crain"], "brands": ["NIKE", "JORDAN"], "attorneys": [{"x": 1}]},
        matches=[
            Match(enterprise_id=9, kind="store", variant="华为智选"),
            Match(enterprise_id=3, kind="party_name"),
            Match(enterprise_id=9, kind="mention"),
        ],
    )
    values = keyword_values(document)
    assert values["authority"] == ["ilnd"]
    assert values["jurisdiction"] == ["US"]
    assert values["country"] == ["CN", "US"]
    assert values["case"] == ["1:24-CV-02451"]
    assert values["class"] == ["9", "25"]
    assert values["enterprise"] == ["3", "9"]
    texts = text_field_values(document)
    assert texts["firm"] == ["Greer, Burns & Crain, Ltd.", "Greer Burns & Crain"]
    assert texts["parties"] == ["Nike, Inc.", "Greer, Burns & Crain, Ltd.", "华为智选旗舰店", "HW Select"]
    # Not a trademark filing: the brands the parser read, then the matched brand variant.
    assert texts["brand"] == ["NIKE", "JORDAN", "华为智选"]


def test_country_and_case_normalisers() -> None:
    assert normalize_country("People's Republic of China") == "CN"
    assert normalize_country(" hong kong, china ") == "HK"
    assert normalize_country("Taiwan") == "TW"
    assert normalize_country("vn") == "VN"
    assert normalize_case_number(" 337-ta-1414 ") == "337-TA-1414"
    assert normalize_case_number("337-1478") == "337-TA-1478"
