"""Every role's pages in the demo speak Chinese as people read it: no English sentence, code, enum
value, parameter key, Python value, file path or Latin region code; no number with more than two
decimals; no time in UTC's ISO form. The crawl follows each demo account's navigation and one page
of each kind linked from there (tests/core/crawl.py).

KNOWN would list a page still to be cleaned, with why; anything else found fails, so a new problem
on any page is caught. It is empty: every problem the crawl found has been fixed."""

from django.core.management import call_command

from .crawl import analyze, crawl_demo, demo_users

# (view, kind of problem): why it is still there.
KNOWN: dict[tuple[str, str], str] = {}


def test_every_roles_pages_speak_chinese(db, settings, capsys):
    settings.DEMO_MODE = True  # the demo's accounts log in in demo mode only
    call_command("demo", all_regions=True, insured=40, seed=2026)
    analyze()
    crawl = crawl_demo(demo_users())
    found = {}
    for user, url, view, kind, text in crawl.problems:
        found.setdefault((view, kind), (user, url, text))
    unexpected = {k: v for k, v in found.items() if k not in KNOWN}
    with capsys.disabled():
        print(f"\ncrawled {crawl.pages} pages as {len(demo_users())} accounts: {len(crawl.problems)} problems "
              f"on {len(found)} kinds of page, {len(unexpected)} not yet known")
    assert crawl.pages > 500
    assert not unexpected, "\n".join(f"{v} {k}: {u} {url} …{t}…" for (v, k), (u, url, t) in unexpected.items())
