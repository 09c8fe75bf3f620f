"""Typeahead: matching, ranking, filters and pagination."""
from __future__ import annotations

import pytest

from registry.search import BadCursor, Filters, Snapshot, decode_cursor, encode_cursor


def doc(code, name, population, kind="comune", region="Lazio", province="RM", eligible=True):
    return {"code": code, "name": name, "kind": kind, "region": region, "province": province,
            "population": population, "population_latest": None, "eligible": eligible}


SMALL = Snapshot([
    doc("1", "Sant'Angelo Romano", 4000, eligible=False),
    doc("2", "Santa Marinella", 17000),
    doc("3", "Santo", 100),
    doc("4", "Roma", 2600000, eligible=False),
    doc("5", "Rocca di Papa", 16000),
    doc("6", "Forlì", 116000, region="Emilia-Romagna", province="FC"),
    doc("7", "Provincia di Roma", 4000000, kind="provincia"),
])


def names(items):
    return [d["name"] for d in items]


def test_every_word_of_the_query_must_start_a_word_of_the_name():
    assert names(SMALL.search("ang rom")[0]) == ["Sant'Angelo Romano"]
    assert names(SMALL.search("papa")[0]) == ["Rocca di Papa"]
    assert SMALL.search("ngelo")[0] == []


def test_exact_name_then_names_starting_with_it_then_by_population():
    assert names(SMALL.search("roma")[0]) == ["Roma", "Provincia di Roma", "Sant'Angelo Romano"]
    assert names(SMALL.search("sant")[0]) == ["Santa Marinella", "Sant'Angelo Romano", "Santo"]
    assert names(SMALL.search("santo")[0]) == ["Santo"]


def test_a_name_starting_with_the_first_word_comes_before_larger_other_matches():
    reggio = Snapshot([doc("1", "Reggio nell'Emilia", 170000),
                       doc("2", "Provincia di Reggio nell'Emilia", 530000, kind="provincia")])
    assert names(reggio.search("reggio em")[0]) == ["Reggio nell'Emilia",
                                                   "Provincia di Reggio nell'Emilia"]


def test_case_and_accents_do_not_matter():
    assert names(SMALL.search("FORLÌ")[0]) == names(SMALL.search("forli")[0]) == ["Forlì"]


def test_filters_combine_with_the_query():
    assert names(SMALL.search("r", Filters(eligible=True))[0]) == ["Rocca di Papa",
                                                                   "Provincia di Roma"]
    assert names(SMALL.search("", Filters(province="FC"))[0]) == ["Forlì"]
    assert names(SMALL.search("roma", Filters(kind="provincia"))[0]) == ["Provincia di Roma"]
    assert names(SMALL.search("", Filters(region="emilia romagna"))[0]) == ["Forlì"]


def test_a_bilingual_region_answers_to_either_name_and_to_both():
    bz = Snapshot([doc("1", "Bolzano/Bozen", 100000, region="Trentino-Alto Adige/Südtirol",
                       province="BZ"),
                   doc("2", "Aosta", 34000, region="Valle d'Aosta/Vallée d'Aoste", province="AO"),
                   doc("3", "Forlì", 116000, region="Emilia-Romagna", province="FC")])
    for region in ("trentino alto adige sudtirol", "trentino alto adige", "sudtirol"):
        assert names(bz.search("", Filters(region=region))[0]) == ["Bolzano/Bozen"], region
    for region in ("valle d aosta", "vallee d aoste"):
        assert names(bz.search("", Filters(region=region))[0]) == ["Aosta"], region
    assert bz.search("", Filters(region="emilia"))[0] == []


@pytest.mark.parametrize("q", ["", "s", "san", "r", "roma", "santa m"])
def test_pages_follow_each_other_without_gaps_or_repeats(shared_registry, q):
    snapshot = shared_registry.search.snapshot()
    everything = [d["code"] for d in snapshot.search(q, limit=10_000)[0]]
    paged, after = [], None
    while True:
        items, after = snapshot.search(q, limit=7, after=after)
        paged.extend(d["code"] for d in items)
        if after is None:
            break
        after = decode_cursor(encode_cursor(after))
    assert paged == everything and len(set(paged)) == len(paged)


def test_typeahead_on_the_real_data(shared_registry):
    snapshot = shared_registry.search.snapshot()
    assert snapshot.search("forli", limit=1)[0][0]["code"] == "040012"
    assert snapshot.search("reggio em", limit=5)[0][0]["name"] == "Reggio nell'Emilia"
    first = snapshot.search("s", limit=3)[0]
    assert all(d["name"].lower().startswith("s") for d in first)
    sizes = [d["population_latest"] for d in first]
    assert sizes == sorted(sizes, reverse=True)


def test_a_cursor_not_made_by_the_api_is_refused():
    for bad in ("xyz", encode_cursor(("a", 1, "b", "c"))[:-2] + "!!", "e30"):
        with pytest.raises(BadCursor):
            decode_cursor(bad)


def test_the_index_follows_changes_made_by_another_process(empty_registry):
    from sqlalchemy.orm import Session
    from registry.adapters.sources import body_record
    from registry.handlers import import_records
    from registry.search import SearchIndex

    def union(code, name):
        return body_record({"code": code, "name": name, "kind": "unione_montana",
                            "region": "Piemonte"}, None, [])

    with Session(empty_registry.engine) as session, session.begin():
        import_records(empty_registry, session, [union("IPA-a", "Unione Montana Alta Langa")])
    elsewhere = SearchIndex(empty_registry.engine, ttl=0)
    assert elsewhere.snapshot().search("valsesia")[0] == []
    with Session(empty_registry.engine) as session, session.begin():
        import_records(empty_registry, session, [union("IPA-b", "Unione Montana Valsesia")])
    assert names(elsewhere.snapshot().search("valsesia")[0]) == ["Unione Montana Valsesia"]
    assert len(elsewhere.snapshot()) == 2
