"""The city bench of `make bench` (bench/city.py) in small: the whole build at a thousandth of
Jiaxing, then every page kind and API list asked twice by two users against `ltci serve` on
loopback. Each must answer 200 with its content (a result row, a PDF, a page of events). Its own
SQLite file, whatever database the suite uses."""

from bench import city


def test_every_page_kind_answers_with_its_content_at_a_thousandth_of_jiaxing(tmp_path):
    args = city.parser().parse_args(["--scale", "0.001", "--dir", str(tmp_path), "--users", "2", "--requests", "4"])

    lines, _, tallies = city.run(args)

    assert [t.kind.name for t in tallies] == [k.name for k in city.kinds()]
    for t in tallies:
        assert len(t.took) == 4, t.kind.name
        assert t.problems == [], (t.kind.name, t.problems[:2])
    assert lines[0].startswith("city, SQLite WAL: 4,220 insured, 45 beneficiaries")
    state = (tmp_path / "sqlite" / "state.json").read_text()
    assert '"audit_done": 10000' in state and '"insured_done": 4175' in state
