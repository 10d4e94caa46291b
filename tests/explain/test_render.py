import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from keras_restext.explain.attributions import Explanation
from keras_restext.explain.render import format_json, format_terminal, render_html, use_colour

EXPLANATION = Explanation(
    text="A <fine> film", units=["a", "<fine>", "film"], separator=" ", label="pos", probability=0.9,
    class_name="pos", class_probability=0.9, logit=1.5, baseline_logit=0.1, attributions=[0.1, 1.2, -0.3],
    deep=[0.1, 0.8, -0.3], wide=[0.0, 0.4, 0.0],
)  # fmt: skip


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.words, self.external, self._in_word = [], [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.external += [v for k, v in attrs.items() if k in ("src", "href")]
        self._in_word = attrs.get("class") == "w"
        if self._in_word:
            self.words.append([attrs["style"], attrs["title"], ""])

    def handle_data(self, data):
        if self._in_word:
            self.words[-1][2] += data

    def handle_endtag(self, tag):
        self._in_word = False


def test_the_html_page_is_self_contained_and_shades_every_word():
    page = _Page()
    page.feed(render_html([EXPLANATION, EXPLANATION], extra=[{"true": "neg"}, {"true": "<neg>"}]))
    assert page.external == [] and "script" not in page.tags
    assert page.tags.count("tr") == 3  # the head and one row per text
    assert [w[2] for w in page.words[:3]] == ["a", "<fine>", "film"]  # escaped, read back as text
    assert [w[1] for w in page.words[:3]] == ["+0.1000", "+1.2000", "-0.3000"]
    assert "22, 163, 74" in page.words[1][0] and "220, 38, 38" in page.words[2][0]  # green up, red down


def test_the_terminal_has_colour_only_when_asked(monkeypatch):
    plain = format_terminal(EXPLANATION, colour=False)
    assert "\033[" not in plain and "a <fine> film" in plain and "+ <fine> +1.200" in plain
    assert "\033[1;32m<fine>\033[0m" in format_terminal(EXPLANATION, colour=True)

    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Tty()) and not use_colour(object())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())


def test_json_carries_every_field():
    import json

    record = json.loads(format_json(EXPLANATION, {"row": 3}))
    assert record["row"] == 3 and record["attributions"] == [0.1, 1.2, -0.3] and record["units"][1] == "<fine>"


def test_a_headless_browser_opens_the_page_when_one_is_installed(tmp_path):
    """Debian's chromium (.ci/run installs it); the parse test above runs without one."""
    page = tmp_path / "page.html"
    page.write_text(render_html([EXPLANATION]), encoding="utf-8")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no headless browser: `apt-get install chromium` (.ci/run installs it)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and dom.stdout.count('class="w"') == 3 and "&lt;fine&gt;" in dom.stdout
    shot = tmp_path / "page.png"
    subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=900,300", page.as_uri()],
                   capture_output=True, timeout=120, check=True)  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
