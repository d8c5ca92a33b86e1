"""Stories: coverage of one story grouped, different events about the same people kept apart."""

import json
import os
import subprocess
import sys

import pytest

import main
from articles.analysis import copies
from articles.services import stories
from articles.library import Library
from articles.model import Draft
from conftest import BBC, S000, S001, S002, SEED_FILES, SEEDS, need

DAILY_BEAST = {S000, S001}
ALL_SEEDS = set(SEED_FILES)


def run_json(capsys, *argv):
    code = main.main([str(a) for a in argv] + ["--json"])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def _names(libdir):
    with Library(libdir) as lib:
        return {a.id: os.path.basename(a.path) for a in lib.store.iter_articles()}


@pytest.fixture(scope="module", params=["entities", "text"])
def seed_lib(request, tmp_path_factory):
    """The seeds imported with the entity stage, and without (text evidence only)."""
    lib = tmp_path_factory.mktemp("stories") / "lib"
    extra = [] if request.param == "entities" else ["--no-entities"]
    assert main.main(["add", str(need(SEEDS)), "--library", str(lib), "--json", *extra]) == 0
    return lib


def test_seed_stories_group_only_the_daily_beast_rereports(seed_lib, capsys):
    doc = run_json(capsys, "stories", "--library", seed_lib)
    names = _names(seed_lib)
    groups = [frozenset(names[i] for i in s["articles"]) for s in doc["stories"]]
    assert len(groups) == 4
    assert set(groups) == {frozenset(DAILY_BEAST)} | {frozenset({n}) for n in ALL_SEEDS - DAILY_BEAST}
    assert groups[0] == frozenset(DAILY_BEAST)  # biggest first
    for s in doc["stories"]:
        assert set(s) >= {"id", "title", "articles"}
        assert s["id"] in s["articles"] and s["title"]


def test_grouped_only_and_cached_membership(seed_lib, capsys):
    doc = run_json(capsys, "stories", "--grouped", "--library", seed_lib)
    assert len(doc["stories"]) == 1 and len(doc["stories"][0]["articles"]) == 2
    with Library(seed_lib) as lib:
        rows = lib.store.conn.execute("SELECT count(*), count(DISTINCT story_id) FROM story_member").fetchone()
        assert rows == (5, 4)  # persisted: every article placed, the two re-reports in one story
        assert stories.update(lib.store) == 0  # nothing to re-hash on a second call
        assert stories.place(lib.store) == 0  # nor to place again


def test_versions_say_what_each_outlet_adds(seed_lib, capsys):
    names = _names(seed_lib)
    by_name = {v: k for k, v in names.items()}
    doc = run_json(capsys, "stories", "--versions", by_name[S001][:8],
                   "--library", seed_lib)
    versions = {names[v["id"]]: v for v in doc["versions"]}
    assert set(versions) == DAILY_BEAST
    original = versions[S000]["adds"]
    rereport = versions[S001]["adds"]
    # Only the original quotes David Maxwell's "major failure" line and Chang's coronavirus line.
    added = {q["text"][:30] for q in original["quotes"]}
    assert "The major failure for Kim Jong" in added
    assert any(t.startswith("… sanctions relief") for t in added)
    # The re-report cites outlets the original never mentions.
    assert {"Raw Story", "Global News"} <= {n.removeprefix("The ") for n in rereport["entities"]}
    assert not any("Maxwell" in n for n in rereport["entities"])  # both name him


def _draft(name, body, date=None):
    return Draft(title=name, body=body, origin=f"test:{name}", date=date)


def test_reprint_with_small_edits_joins_incrementally(tmp_path):
    src = need(SEEDS) / S002
    body = src.read_text(encoding="utf-8")
    edited = body.replace("President-elect", "Incoming president").replace("B-17", "this site")
    edited = "\n\n".join(edited.split("\n\n")[:-6])  # trimmed, as reprints are
    lib = Library(tmp_path / "lib")
    try:
        lib.add_drafts([_draft("original", body)])
        first = {s.id: s.articles for s in lib.stories()}
        assert len(first) == 1
        lib.add_drafts([_draft("reprint", edited)])
        assert stories.update(lib.store) == 1  # only the new article is hashed
        groups = [s.articles for s in lib.stories()]
        assert len(groups) == 1 and len(groups[0]) == 2
        # Deleting one version dissolves the group.
        with lib.store.transaction():
            lib.store.delete([groups[0][1]])
        assert [len(s.articles) for s in lib.stories()] == [1]
        # The shingle counts kept up one article at a time are what a recount gives.
        conn = lib.store.conn
        kept = dict(conn.execute("SELECT h, df FROM story_shingle_df WHERE df > 0"))
        counted = dict(conn.execute("SELECT h, count(*) FROM story_shingle GROUP BY h"))
        assert kept == counted and len(counted) > 10
    finally:
        lib.close()


def test_dates_far_apart_keep_shared_passages_apart():
    ev = copies.judge("a", "b", shared=20, containment=0.2,
                       dates={"a": copies.parse_date("2020-06-14"), "b": copies.parse_date("2020-09-01")},
                       ents={})
    assert not ev.same_story and "days apart" in ev.reason
    near = copies.judge("a", "b", shared=20, containment=0.2,
                         dates={"a": copies.parse_date("2020-06-14"), "b": copies.parse_date("2020-06-15")},
                         ents={"a": {1, 2, 3}, "b": {2, 3, 4}})
    assert near.same_story
    copy = copies.judge("a", "b", shared=50, containment=0.9, dates={}, ents={"a": {1}, "b": {2}})
    assert copy.same_story and copy.reason == "near copy"
    stock = copies.judge("a", "b", shared=2, containment=0.3, dates={}, ents={})
    assert not stock.same_story


# -- the event model: texts written for these tests -------------------------------------
QUAKE_A = [
    ("Magnitude 6.4 earthquake strikes Valdoria's northern coast",
     "A magnitude 6.4 earthquake struck the northern coast of Valdoria on Tuesday, killing at least 12 "
     "people in the port town of Essenmark, officials said.\n\nThe quake hit at 4:12 a.m. at a depth of "
     "10 kilometres, the Valdorian Seismic Service said. Rescue teams led by fire chief Anna Brekke "
     "searched collapsed houses in Essenmark and nearby Rulle.", "2021-03-09"),
    ("Essenmark counts its dead after 6.4 quake",
     "Residents of Essenmark spent the night outdoors after Tuesday's 6.4 earthquake left 12 dead and "
     "dozens injured on Valdoria's northern coast.\n\nFire chief Anna Brekke said crews were still "
     "searching in Rulle, where a school was damaged. The Valdorian Seismic Service recorded 30 "
     "aftershocks.", "2021-03-10"),
]
QUAKE_B = [
    ("Strong quake of magnitude 5.1 jolts Tarsic highlands",
     "A magnitude 5.1 earthquake shook the Tarsic highlands on Saturday, injuring 3 people in the "
     "mountain village of Obrenno, the Tarsic Geological Institute said.\n\nThe quake hit at 9:40 p.m. "
     "Mayor Lukas Ferent said two barns collapsed and a road to Kessin was blocked by rocks.",
     "2023-11-18"),
    ("Obrenno shaken by 5.1 earthquake, three hurt",
     "Three people were hurt when a 5.1 magnitude earthquake hit the Tarsic highlands late Saturday.\n\n"
     "In Obrenno, mayor Lukas Ferent said barns had collapsed. The Tarsic Geological Institute said "
     "the road to Kessin was closed.", "2023-11-18"),
]
# One event, five outlets, five wordings (no shared five-word runs needed).
BRIDGE = [
    ("Harlow Bridge closed after crack found in main span",
     "Engineers closed the Harlow Bridge over the river Wend on Monday after inspectors found a "
     "40-centimetre crack in its main span. About 18,000 vehicles cross the bridge each day."),
    ("Crack shuts Wend crossing; commuters face detours",
     "Commuters faced long detours on Monday as the Harlow Bridge was shut. A crack of about 40 cm "
     "was discovered in the main span during a routine inspection, the county's roads chief Mira "
     "Stellan said."),
    ("Harlow Bridge to stay shut for weeks, Stellan says",
     "The Harlow Bridge across the Wend will remain closed for several weeks while the cracked main "
     "span is repaired, county roads chief Mira Stellan said, urging the 18,000 daily drivers to use "
     "the ring road."),
    ("Traffic chaos as cracked Harlow Bridge closes",
     "Queues stretched for kilometres around the Wend after officials closed the Harlow Bridge, whose "
     "main span has a 40 cm crack. Mira Stellan, head of county roads, apologised to drivers."),
    ("Inspectors' find closes river Wend bridge",
     "A routine check of the Harlow Bridge turned up a crack roughly 40 centimetres long in the main "
     "span, prompting its closure. Stellan said 18,000 vehicles a day would be diverted."),
]
BACKGROUND = [
    ("Library opens new reading room", "The city library opened a reading room for children on Friday, "
     "with 2,000 new books and a garden."),
    ("Local team wins cup final", "The Rovers beat United 2-1 in the cup final on Sunday, with a late "
     "goal from their captain in front of 30,000 fans."),
    ("Bakery chain to hire 200 staff", "A bakery chain said it would hire 200 staff for new shops in the "
     "east of the city, citing strong demand for bread."),
    ("Council approves budget for parks", "The council approved a budget of 3 million for parks, "
     "including new playgrounds and trees along the main avenue."),
]


def _bbc_background(step: int = 40) -> list[Draft]:
    """A spread of real, unrelated articles (read in place), so idf means what it means
    in a library: a handful of test texts alone make every shared word look common."""
    out = []
    for p in sorted(need(BBC).glob("*/*.txt"))[::step]:
        title, _, body = p.read_bytes().decode("latin-1").partition("\n")
        out.append(Draft(title=title.strip(), body=body.strip(), origin=f"test:bbc:{p.name}:{p.parent.name}"))
    return out


def _event_lib(tmp_path, groups, entities=False):
    lib = Library(tmp_path / "lib")
    lib.add_drafts(_bbc_background(), entities=entities)
    drafts = [_draft(t, b, d) for t, b, d in (x if len(x) == 3 else (*x, None) for g in groups for x in g)]
    for d in drafts:  # one at a time: the incremental path
        lib.add_drafts([d], entities=entities)
    return lib


def _by_title(lib):
    return [sorted(lib.store.get(a).title for a in s.articles) for s in lib.stories()]


def test_look_alike_earthquakes_stay_apart(tmp_path):
    lib = _event_lib(tmp_path, [BACKGROUND, QUAKE_A, QUAKE_B])
    try:
        groups = _by_title(lib)
        assert sorted(t for t, _, _ in QUAKE_A) in groups
        assert sorted(t for t, _, _ in QUAKE_B) in groups
    finally:
        lib.close()


def test_one_event_in_five_wordings_is_one_story(tmp_path):
    lib = _event_lib(tmp_path, [BACKGROUND, QUAKE_A, BRIDGE])
    try:
        groups = _by_title(lib)
        assert sorted(t for t, _ in BRIDGE) in groups
        story = next(s for s in lib.stories() if len(s.articles) == 5)
        doc = story.to_json()
        assert [e["id"] for e in doc["timeline"]] == story.articles
        assert doc["title"] in {t for t, _ in BRIDGE} and not doc["title"].endswith("…")
        # A sixth report arriving later joins it incrementally.
        lib.add_drafts([_draft("Harlow Bridge repairs to cost 2 million",
                               "Repairing the 40 cm crack in the Harlow Bridge main span over the Wend "
                               "will take weeks, Mira Stellan said.")])
        assert stories.place(lib.store) == 1
        assert max(len(s.articles) for s in lib.stories()) == 6
        # From scratch (the final idf) gives the same story.
        stories.regroup(lib.store, from_scratch=True)
        assert max(len(s.articles) for s in stories.stories(lib.store, refresh_first=False)) == 6
    finally:
        lib.close()


def test_split_and_merge_survive_a_regroup(tmp_path, capsys):
    lib = _event_lib(tmp_path, [BACKGROUND, QUAKE_A, QUAKE_B])
    libdir = tmp_path / "lib"
    try:
        quake_a = next(s for s in lib.stories() if lib.store.get(s.articles[0]).title in {t for t, _, _ in QUAKE_A})
        quake_b = next(s for s in lib.stories() if lib.store.get(s.articles[0]).title in {t for t, _, _ in QUAKE_B})
        out_id = quake_a.articles[1]
    finally:
        lib.close()
    doc = run_json(capsys, "stories", "split", out_id[:10], "--library", libdir)
    assert doc["story"]["articles"] == [out_id]
    doc = run_json(capsys, "stories", "merge", quake_b.articles[0], quake_a.articles[0], "--library", libdir)
    assert set(doc["story"]["articles"]) == set(quake_b.articles) | {quake_a.articles[0]}
    run_json(capsys, "stories", "regroup", "--library", libdir)
    doc = run_json(capsys, "stories", "--library", libdir)
    groups = [set(s["articles"]) for s in doc["stories"]]
    assert {out_id} in groups
    assert set(quake_b.articles) | {quake_a.articles[0]} in groups
    # A new copy of the split article's text does not drag it back in either.
    with Library(libdir) as lib:
        assert lib.story_of(out_id).articles == [out_id]


def test_incremental_path_uses_the_index_not_all_pairs(tmp_path):
    """Many background articles, then one new report: it finds its story through the
    term table, and the candidates looked at stay few."""
    lib = Library(tmp_path / "lib")
    try:
        lib.add_drafts([_draft(f"Note {i}", f"Item {i} about topic{i % 37} and subject{i % 53} "
                               f"with figure {i * 7}.") for i in range(300)])
        lib.add_drafts([_draft(t, b) for t, b in BRIDGE[:4]])
        lib.stories()
        lib.add_drafts([_draft(*BRIDGE[4])])
        assert stories.place(lib.store) == 1
        story = lib.story_of(next(a.id for a in lib.store.iter_articles() if a.title == BRIDGE[4][0]))
        assert len(story.articles) == 5
        rows = lib.store.conn.execute("SELECT count(*) FROM story_post").fetchone()[0]
        assert 0 < rows <= 305 * stories.ev.Params().posting_terms
    finally:
        lib.close()


def test_a_story_of_two_look_alike_events_is_found_two():
    """The split check on plain records: two quakes forced into one story divide along
    the events; one event's five reports do not divide."""
    from collections import Counter

    from articles.analysis import events as ev

    more_a = [("Valdoria quake toll rises to 14 in Essenmark",
               "The toll from Tuesday's 6.4 earthquake in Essenmark rose to 14, fire chief Anna Brekke said, "
               "as the Valdorian Seismic Service warned of aftershocks near Rulle.", None)]
    more_b = [("Tarsic highlands: Obrenno clears rocks after 5.1 quake",
               "Workers cleared rocks from the Kessin road after the 5.1 quake, mayor Lukas Ferent said; the "
               "Tarsic Geological Institute counted 3 injured in Obrenno.", None)]
    quakes = [(t, b) for t, b, _ in QUAKE_A + more_a + QUAKE_B + more_b]
    texts = [(d.title, d.body) for d in _bbc_background()] + quakes + BRIDGE
    feats = [ev.term_counts(t, b) for t, b in texts]
    df = Counter(t for f in feats for t in f)
    vecs = [ev.weigh(f, df, len(feats)) for f in feats]
    p = ev.Params()
    q = vecs[-len(BRIDGE) - len(quakes):-len(BRIDGE)]
    half = ev.two_events(q, p)
    assert half is not None and set(half) in ({0, 1, 2}, {3, 4, 5})
    assert ev.two_events(vecs[-len(BRIDGE):], p) is None
    # Copies kept together veto the split.
    assert ev.two_events(q, p, keep_together=[(0, 3)]) is None
    # Halves whose reports are dated on the same days are one event told two ways:
    # never split on words alone. Dates days apart leave the split as it was.
    same = [738000, 738001, 738000, 738001, 738000, 738001]
    assert ev.two_events(q, p, days=same) is None
    apart = [738000, 738001, 738000, 738100, 738101, 738100]
    assert ev.two_events(q, p, days=apart) is not None
    # Only one half dated: no date evidence, the words decide.
    assert ev.two_events(q, p, days=[738000, 738001, 738000, None, None, None]) is not None


# A roundup reprinting two unrelated reports whole: a copy of articles in two stories.
_FERRY = ("Dunmore ferry runs aground on a sandbank",
          "The morning ferry from Dunmore to Kessock Island ran aground on a sandbank on Tuesday, leaving "
          "forty passengers stranded for six hours before the tide lifted the hull. The harbour master, "
          "Ilse Brannock, said the channel markers had drifted in last week's gales and would be reset. "
          "Nobody was hurt, and the vessel returned to port under its own power in the afternoon, where "
          "divers found only scraped paint on the keel. Sailings resume on Thursday with a pilot boat.")
_HARVEST = ("Orchard growers report a record apple harvest in Vellmar",
            "Fruit farmers across the Vellmar valley picked a record apple crop this autumn, the growers' "
            "cooperative said, with yields up a third on last year after a mild spring and no late frost. "
            "Cooperative chair Tomas Quillon said cold stores were full and extra pickers had been hired from "
            "neighbouring towns. Prices at the wholesale market fell as the surplus arrived, and cider makers "
            "are buying the smaller fruit by the tonne for pressing before winter.")
_ROUNDUP = ("Regional roundup", _FERRY[1] + "\n\n" + _HARVEST[1])

_GROUP_IN_CHILD = """
import json, sys
from articles.library import Library
from articles.model import Draft
from test_stories import _FERRY, _HARVEST, _ROUNDUP
mode, libdir = sys.argv[1], sys.argv[2]
with Library(libdir) as lib:
    drafts = [Draft(title=t, body=b, origin="test:" + t) for t, b in (_FERRY, _HARVEST, _ROUNDUP)]
    if mode == "one at a time":
        for d in drafts:
            lib.add_drafts([d], entities=False)
        found = lib.stories()
    else:
        lib.add_drafts(drafts, entities=False)
        lib.regroup_stories()
        found = lib.stories()
    print(json.dumps(sorted(sorted(lib.store.get(a).title for a in s.articles) for s in found)))
"""


@pytest.mark.parametrize("mode", ["regroup", "one at a time"])
def test_a_copy_of_two_stories_joins_the_earliest_whatever_the_hash_seed(tmp_path, mode):
    # The copy's links are a set: on a regroup, which story it joined followed the
    # set's order, which changes with PYTHONHASHSEED (for these articles' ids seed 1
    # put the roundup with the harvest, seed 2 with the ferry); placed one at a time,
    # it followed the database's row order instead (the harvest, under any seed).
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    results = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed,
                   PYTHONPATH=os.pathsep.join([root, os.path.join(root, "tests")]))
        out = subprocess.run([sys.executable, "-c", _GROUP_IN_CHILD, mode, str(tmp_path / f"lib{seed}")],
                             capture_output=True, text=True, env=env, cwd=root, timeout=300)
        assert out.returncode == 0, out.stderr
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert results[0] == results[1]
    assert sorted([_FERRY[0], _ROUNDUP[0]]) in results[0]  # the earliest placed story
    assert [_HARVEST[0]] in results[0]
