"""Posting a form that asks first (ltci.core.confirm), as a person does: the question, then 确认."""

import re

DIGEST = re.compile(r'name="confirm_digest" value="([0-9a-f]+)"')


def ask(client, url: str, data: dict) -> str:
    """The confirm page a form answers with; fails if the step acted or was refused instead."""
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200 and DIGEST.search(page), (response.status_code, page[:3000])
    return page


def confirmed_post(client, url: str, data: dict, **kwargs):
    """Posts the form, then confirms what its page showed; the second response is returned."""
    digest = DIGEST.search(ask(client, url, data)).group(1)
    return client.post(url, {**data, "confirmed": "1", "confirm_digest": digest}, **kwargs)
