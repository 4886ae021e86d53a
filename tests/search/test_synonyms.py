"""Synonyms: entries and their JSON checks, what a query expands to (words, phrases, Chinese), Solr's file format."""

from __future__ import annotations

import pytest

from search.errors import ResourceError
from search.synonyms import Synonym, SynonymError, Synonyms, read_solr

COUCH = Synonym("couch", ("couch", "sofa", "settee"))
PHONE = Synonym("phone", ("iphone", "android phone"), root="smart phone")
MOBILE = Synonym("mobile", ("手机", "移动电话"))


@pytest.mark.fast
def test_a_multi_way_entry_finds_each_phrase_from_any_other() -> None:
    synonyms = Synonyms([COUCH])
    assert synonyms.expand("grey couch") == ("sofa", "settee")
    assert synonyms.expand("sofa bed") == ("couch", "settee")
    assert synonyms.expand("settee") == ("couch", "sofa")


@pytest.mark.fast
def test_a_one_way_entry_finds_its_synonyms_only_from_the_root() -> None:
    synonyms = Synonyms([PHONE])
    assert synonyms.expand("smart phone case") == ("iphone", "android phone")
    assert synonyms.expand("iphone case") == ()
    assert synonyms.expand("android phone") == ()


@pytest.mark.fast
def test_a_multi_word_phrase_matches_only_its_words_one_after_another() -> None:
    synonyms = Synonyms([PHONE])
    assert synonyms.expand("smart-phone") == ("iphone", "android phone")  # punctuation separates words as spaces do
    assert synonyms.expand("smart new phone") == ()
    assert synonyms.expand("phone smart") == ()
    assert synonyms.expand("smart") == ()


@pytest.mark.fast
def test_a_latin_phrase_matches_whole_words_only() -> None:
    synonyms = Synonyms([COUCH, Synonym("tv", ("tv", "television"))])
    assert synonyms.expand("sofas") == ()  # plurals are stemming's job
    assert synonyms.expand("sofabed") == ()
    assert synonyms.expand("tvstand") == ()
    assert synonyms.expand("tv stand") == ("television",)
    assert synonyms.expand("tv,sofa") == ("couch", "settee", "television")  # entry order, then phrase order


@pytest.mark.fast
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("手机", ("移动电话",)),
        ("手機", ("移动电话",)),  # Traditional in the query
        ("新款手机壳", ("移动电话",)),  # Chinese has no spaces: a phrase matches inside a run
        ("华为手机 case", ("移动电话",)),
        ("移动电话", ("手机",)),
        ("移動電話", ("手机",)),
        ("移动", ()),
        ("电话", ()),
    ],
)
def test_chinese_phrases_match_inside_runs_in_either_script(query: str, expected: tuple[str, ...]) -> None:
    assert Synonyms([MOBILE]).expand(query) == expected


@pytest.mark.fast
def test_traditional_phrases_in_an_entry_are_matched_and_given_as_simplified() -> None:
    synonyms = Synonyms([Synonym("mobile", ("手機", "移動電話"))])
    assert synonyms.expand("手机") == ("移动电话",)
    assert synonyms.expand("移动电话") == ("手机",)


@pytest.mark.fast
def test_a_mixed_phrase_is_a_word_sequence_with_each_chinese_run_one_word() -> None:
    synonyms = Synonyms([Synonym("apple", ("iphone 手机", "苹果手机"))])
    assert synonyms.expand("iPhone手機") == ("苹果手机",)
    assert synonyms.expand("苹果手机") == ("iphone 手机",)
    assert synonyms.expand("iphone 新手机") == ()  # "新手机" is one word here, not "手机"


@pytest.mark.fast
def test_case_and_full_width_do_not_matter_on_either_side() -> None:
    synonyms = Synonyms([Synonym("tv", ("TV", "Ｔｅｌｅｖｉｓｉｏｎ"))])
    assert synonyms.expand("ＴＶ stand") == ("television",)
    assert synonyms.expand("TELEVISION") == ("tv",)
    assert Synonyms([PHONE]).expand("ＳＭＡＲＴ　Phone") == ("iphone", "android phone")


@pytest.mark.fast
def test_phrases_already_in_the_query_are_not_given_again() -> None:
    assert Synonyms([COUCH]).expand("couch or sofa") == ("settee",)
    assert Synonyms([PHONE]).expand("smart phone iphone") == ("android phone",)  # a one-way synonym is known too
    assert Synonyms([MOBILE]).expand("手机 移動電話") == ()
    overlapping = Synonyms([COUCH, Synonym("seat", ("sofa", "seat"))])
    assert overlapping.expand("couch") == ("sofa", "settee")  # the second entry is not reached from couch
    assert overlapping.expand("sofa") == ("couch", "settee", "seat")  # sofa reaches both; each phrase once


@pytest.mark.fast
def test_no_entries_expand_to_nothing() -> None:
    assert len(Synonyms()) == 0
    assert Synonyms().expand("couch") == ()
    assert Synonyms([COUCH]).expand("") == ()
    assert Synonyms([COUCH]).expand("!!!") == ()


@pytest.mark.fast
def test_two_entries_with_one_id_are_refused() -> None:
    with pytest.raises(SynonymError, match="'couch'") as caught:
        Synonyms([COUCH, Synonym("couch", ("lamp", "light"))])
    assert caught.value.field == "id"


@pytest.mark.fast
def test_from_json_strips_drops_repeats_and_round_trips() -> None:
    entry = Synonym.from_json("couch", {"synonyms": [" couch ", "sofa", "Sofa", "ＳＯＦＡ", "settee"]})
    assert entry == COUCH
    assert entry.to_json() == {"id": "couch", "synonyms": ["couch", "sofa", "settee"]}
    assert PHONE.to_json() == {"id": "phone", "synonyms": ["iphone", "android phone"], "root": "smart phone"}
    for original in (COUCH, PHONE, MOBILE):
        assert Synonym.from_json(original.id, original.to_json()) == original
    assert Synonym.from_json("mobile", {"synonyms": ["手机", "手機", "移动电话"]}).synonyms == ("手机", "移动电话")


@pytest.mark.fast
@pytest.mark.parametrize(
    ("id", "body", "field", "words"),
    [
        ("x", ["couch", "sofa"], "body", "JSON object"),
        ("x", {"synonyms": ["couch", "sofa"], "weight": 2}, "weight", "unknown key 'weight'"),
        ("x", {"id": "y", "synonyms": ["couch", "sofa"]}, "id", "'y'"),
        ("x", {}, "synonyms", "missing"),
        ("x", {"synonyms": "couch, sofa"}, "synonyms", "send a list"),
        ("x", {"synonyms": ["couch", 3]}, "synonyms", "synonyms[1] is int"),
        ("x", {"synonyms": ["couch", "  "]}, "synonyms", "synonyms[1] is blank"),
        ("x", {"synonyms": ["couch", "!!"]}, "synonyms", "no letters or digits"),
        ("x", {"synonyms": ["couch"]}, "synonyms", "needs 2 to 100"),
        ("x", {"synonyms": ["couch", "Couch"]}, "synonyms", "got 1"),
        ("x", {"root": "couch", "synonyms": []}, "synonyms", "needs 1 to 100"),
        ("x", {"synonyms": [f"w{n}" for n in range(101)]}, "synonyms", "got 101"),
        ("x", {"synonyms": ["couch", "s" * 201]}, "synonyms", "201 characters"),
        ("x", {"root": "Sofa", "synonyms": ["couch", "sofa"]}, "root", "also one of its synonyms"),
        ("x", {"root": "", "synonyms": ["couch"]}, "root", "root is blank"),
        ("x", {"root": ["sofa"], "synonyms": ["couch"]}, "root", "root is list"),
        ("", {"synonyms": ["couch", "sofa"]}, "id", "blank"),
        ("c" * 129, {"synonyms": ["couch", "sofa"]}, "id", "129 characters"),
        ("couch/sofa", {"synonyms": ["couch", "sofa"]}, "id", "'couch/sofa' has other characters"),
    ],
)
def test_from_json_names_the_field_the_value_and_the_fix(id: str, body: object, field: str, words: str) -> None:
    with pytest.raises(ResourceError) as caught:  # SynonymError, or the id check all resources share
        Synonym.from_json(id, body)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert words in str(caught.value)
    assert ":" in str(caught.value)  # the fix follows the colon


@pytest.mark.fast
def test_read_solr_reads_multi_way_lines_and_skips_comments_and_blank_lines() -> None:
    entries = read_solr("# furniture\n\ncouch, sofa ,settee\n  # indented comment\nGB,gib,gigabyte,gigabytes\n")
    assert entries == [
        Synonym("solr-3", ("couch", "sofa", "settee")),
        Synonym("solr-5", ("GB", "gib", "gigabyte", "gigabytes")),
    ]


@pytest.mark.fast
def test_read_solr_turns_a_mapping_into_one_way_entries_one_per_left_phrase() -> None:
    entries = read_solr("i-pod, eye pod, i pod => ipod, music player\nsmart phone => smart phone, iphone\n")
    assert entries == [
        Synonym("solr-1-1", ("ipod", "music player"), root="i-pod"),
        Synonym("solr-1-2", ("ipod", "music player"), root="eye pod"),  # "i pod" is "i-pod" once normalised
        Synonym("solr-2", ("iphone",), root="smart phone"),  # Solr's "keep the left too" is what one-way does
    ]
    synonyms = Synonyms(entries)
    assert synonyms.expand("eye pod nano") == ("ipod", "music player")
    assert synonyms.expand("music player") == ()


@pytest.mark.fast
def test_read_solr_unescapes_commas_backslashes_and_equals_signs() -> None:
    entries = read_solr("1\\,000 mah, 1k mah\nback\\\\slash, backslash\na \\=> b, arrow\nc:\\dir, dir\n")
    assert [entry.synonyms for entry in entries] == [
        ("1,000 mah", "1k mah"),
        ("back\\slash", "backslash"),
        ("a => b", "arrow"),
        ("c:\\dir", "dir"),  # any other backslash is kept as written
    ]


@pytest.mark.fast
@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("couch, sofa\nlamp\n", "line 2", "one phrase and no '=>'"),
        ("# c\n\n => sofa\n", "line 3", "empty side"),
        ("couch =>\n", "line 1", "empty side"),
        ("a => b => c\n", "line 1", "2 '=>'"),
        ("couch, " + "s" * 201, "line 1", "201 characters"),
        ("couch, Couch\n", "line 1", "got 1"),
        ("sofa => sofa\n", "line 1", "got 0"),
    ],
)
def test_read_solr_errors_name_the_line_and_the_fix(text: str, line: str, words: str) -> None:
    with pytest.raises(SynonymError) as caught:
        read_solr(text)
    assert caught.value.field == line
    assert str(caught.value).startswith(f"{line} (")  # the line number, then the line's text
    assert words in str(caught.value)


@pytest.mark.fast
def test_ten_thousand_entries_build_and_expand_to_the_right_phrases() -> None:
    entries = [Synonym(f"e{n}", (f"word{n}", f"term {n}", f"手{n}号")) for n in range(10_000)]
    entries.append(Synonym("zh", ("手机", "移动电话")))
    synonyms = Synonyms(entries)
    assert len(synonyms) == 10_001
    assert synonyms.expand("red word5000 kettle") == ("term 5000", "手5000号")
    assert synonyms.expand("term 9999") == ("word9999", "手9999号")
    assert synonyms.expand("term9999") == ()
    assert synonyms.expand("新手机") == ("移动电话",)
