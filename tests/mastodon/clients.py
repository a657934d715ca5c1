"""What the real-client tests share: users made through the registration service with known
passwords and e-mails, a Mastodon.py client that records its own HTTP exchanges (so a test can
check what the client sent, not only what it got), and the OAuth authorize page driven the way a
person would drive it (a login form, then a consent form, then an out-of-band code on the page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from mastodon import Mastodon

from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import user_register

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]  # Mastodon.py's default; log_in checks they are granted


def make_user(username: str) -> User:
    """A user through the registration service, with an e-mail of its own (logins by e-mail)."""
    return user_register(username=username, email=f"{username}@example.org", password=PASSWORD)


@dataclass
class Recorder:
    """A requests session whose every response is kept, for asserting on what a client sent."""

    session: requests.Session = field(default_factory=requests.Session)
    exchanges: list[requests.Response] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.session.hooks["response"].append(lambda response, *args, **kwargs: self.exchanges.append(response))

    def sent_to(self, path: str) -> list[requests.Response]:
        return [r for r in self.exchanges if urlparse(r.request.url).path.rstrip("/") == path.rstrip("/")]


def registered_app(base_url: str, name: str = "socialapp conformance") -> tuple[str, str]:
    """POST /api/v1/apps through Mastodon.py (a form body, the default scopes, the OOB redirect)."""
    return Mastodon.create_app(name, api_base_url=base_url, scopes=SCOPES)


def client(base_url: str, app: tuple[str, str], recorder: Recorder | None = None, **kwargs) -> Mastodon:
    client_id, client_secret = app
    return Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=base_url,
        session=recorder.session if recorder else None,
        **kwargs,
    )


# --------------------------------------------------------------------------- the authorize page
@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str]
    inputs: list[dict[str, str]]  # every input/button with its attributes (type, name, value)


class _Page(HTMLParser):
    """The forms of a page and the places an out-of-band code is shown (Mastodon: a read-only
    input of class `oauth-code`; others: an element whose id, class or name says "code")."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.codes: list[str] = []
        self._code_text: str | None = None
        self._button: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        says_code = any("code" in a.get(k, "").lower() for k in ("id", "class", "name"))
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower(), {}, []))
        elif tag in ("input", "button", "textarea", "select") and self.forms:
            control = {"tag": tag, "text": "", **a}
            self.forms[-1].inputs.append(control)
            if tag == "button":
                self._button = control
            if (
                tag == "input"
                and a.get("name")
                and a.get("type", "text").lower() not in ("submit", "checkbox", "radio")
            ):
                self.forms[-1].fields[a["name"]] = a.get("value", "")
        if tag == "input" and says_code and a.get("value") and a.get("type", "text") != "hidden":
            self.codes.append(a["value"])
        elif tag in ("code", "pre", "textarea", "span", "div", "p") and says_code:
            self._code_text = ""

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["text"] += data
        if self._code_text is not None:
            self._code_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._button = None
        if self._code_text is not None and self._code_text.strip():
            self.codes.append(self._code_text.strip())
            self._code_text = None


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _submit(session: requests.Session, url: str, form: Form, values: dict[str, str]) -> requests.Response:
    data = {**form.fields, **values}
    # The approving button, if the form has named buttons (Rails/Doorkeeper-style consent forms
    # have one form per choice; a single form with two buttons tells them apart by name).
    buttons = [i for i in form.inputs if i.get("type", "submit" if i["tag"] == "button" else "").lower() == "submit"]
    approving = [
        b
        for b in buttons
        if b.get("name") and not re.search(r"deny|reject|cancel", b.get("value", "") + b["text"], re.I)
    ]
    if approving:
        data.setdefault(approving[0]["name"], approving[0].get("value", ""))
    target = urljoin(url, form.action or url)
    if form.method == "post":
        return session.post(target, data=data, timeout=30)
    return session.get(target, params=data, timeout=30)


def _code_in(response: requests.Response) -> str | None:
    for r in [*response.history, response]:
        for candidate in (r.url, r.headers.get("Location", "")):
            code = parse_qs(urlparse(candidate).query).get("code")
            if code:
                return code[0]
    codes = _parse(response.text).codes
    return codes[0] if codes else None


def _labels(form: Form) -> str:
    """What a person reads on the form's buttons (and the method a Rails form fakes)."""
    return " ".join(
        f"{i.get('value', '')} {i.get('text', '')} {i.get('name', '')}"
        for i in form.inputs
        if i["tag"] == "button" or i.get("type", "").lower() in ("submit", "hidden")
    )


def _is_deny(form: Form) -> bool:
    """A refusing form (Doorkeeper's consent page has one form per choice; the deny one fakes
    DELETE and says Deny)."""
    text = _labels(form)
    approves = re.search(r"authori[sz]e|allow|approve|accept|continue", text, re.I)
    denies = re.search(r"deny|reject|cancel", text, re.I) or form.fields.get("_method", "").lower() == "delete"
    return bool(denies) and not (approves and not form.fields.get("_method"))


def authorize_out_of_band(url: str, login: str, password: str, *, max_steps: int = 4) -> str:
    """Open Mastodon.py's authorize URL as a browser would, log in and approve, and read the code
    the page shows for `urn:ietf:wg:oauth:2.0:oob`. Works with a login form and a consent form
    on one page or two; fails with the last page's text if no code appears."""
    session = requests.Session()
    response = session.get(url, timeout=30)
    for _ in range(max_steps):
        assert response.status_code < 400, f"{response.status_code} from {response.url}: {response.text[:500]}"
        code = _code_in(response)
        if code:
            return code
        forms = [f for f in _parse(response.text).forms if not _is_deny(f)]
        assert forms, f"no form and no code on {response.url}: {response.text[:800]}"
        form = next((f for f in forms if any(i.get("type") == "password" for i in f.inputs)), forms[0])
        values: dict[str, str] = {}
        for i in form.inputs:
            name, kind = i.get("name", ""), i.get("type", "text").lower()
            if kind == "password":
                values[name] = password
            elif kind in ("text", "email") and re.search(r"user|mail|login", name, re.I):
                values[name] = login
        response = _submit(session, response.url, form, values)
    raise AssertionError(f"no authorization code after {max_steps} pages; last: {response.text[:800]}")
