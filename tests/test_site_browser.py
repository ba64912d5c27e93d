"""The rendered site in a real browser: every page of the smoke site, opened over ``file://`` in
headless Chromium, has a clean console and works offline.

Chromium is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``: JSON
messages ending in a NUL byte on file descriptors 3 and 4), so the test needs nothing but the
Debian ``chromium`` package: no driver, no websocket library, no browser download. ``.ci/run``
installs it with apt where it is missing.

Each page fails on: a console error or uncaught exception, a failed load, a request outside the
site (anything but ``file:`` and ``data:``), math left untypeset (a ``.math`` element without
MathJax output, or raw ``\\(``, ``\\[`` or ``$...$`` left in the text), and a ``to_jshtml``
animation whose slider does not change the displayed frame.

``SB_SITE_HTML=/path/to/_build/html`` checks an already built site instead of building the
smoke site (quicker when working on the site itself); ``SB_CHROMIUM`` names the browser if it
is not on the PATH. Without Chromium the test is skipped, unless ``SB_REQUIRE_BROWSER`` is set
(``.ci/run`` sets it): then it fails.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--mute-audio",
                  "--remote-debugging-pipe", "--window-size=1280,900"]  # a laptop's browser
PAGE_TIMEOUT = 20.0  # seconds for one page to load and settle
REDIRECT = re.compile(r'<meta[^>]+http-equiv="refresh"', re.I)  # index.html: to the first page


def find_chromium() -> str | None:
    explicit = os.environ.get("SB_CHROMIUM")
    if explicit:
        return explicit
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """A headless Chromium and a minimal DevTools-protocol client over its debugging pipe."""

    def __init__(self, executable: str):
        self._profile = tempfile.mkdtemp(prefix="sb-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def child_fds():  # Chromium reads commands on fd 3 and writes replies on fd 4
            a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            preexec_fn=child_fds, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self._inbox: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": page["targetId"], "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=self.session)

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_chrome, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._inbox.put(None)
                return
            buf += chunk
            *messages, buf = buf.split(b"\0")
            for m in messages:
                self._inbox.put(json.loads(m))

    def _pump(self, timeout: float) -> None:
        try:
            msg = self._inbox.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"Chromium did not answer within {PAGE_TIMEOUT:.0f} s") from None
        if msg is None:
            raise RuntimeError("Chromium closed its debugging pipe (did it crash?)")
        if "id" in msg:
            self._replies[msg["id"]] = msg
        else:
            self.events.append(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = PAGE_TIMEOUT) -> dict:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while self._next_id not in self._replies:
            self._pump(max(0.01, deadline - time.monotonic()))
        reply = self._replies.pop(self._next_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_for(self, method: str, timeout: float = PAGE_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not any(e["method"] == method for e in self.events):
            self._pump(max(0.01, deadline - time.monotonic()))

    def evaluate(self, expression: str, timeout: float = PAGE_TIMEOUT):
        result = self.send("Runtime.evaluate",
                           {"expression": expression, "awaitPromise": True,
                            "returnByValue": True}, session=self.session, timeout=timeout)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, settle: bool = True) -> list[dict]:
        """Load ``url``, let it settle, return the events it caused."""
        self.events = []
        self.send("Page.navigate", {"url": url}, session=self.session)
        self.wait_for("Page.loadEventFired")
        if settle:
            self.evaluate(SETTLE_JS)
        else:
            time.sleep(0.5)
            while not self._inbox.empty():
                self._pump(0.1)
        return list(self.events)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)


# Wait for MathJax's first typeset and for every saved widget view to render, then a moment.
SETTLE_JS = """(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const until = Date.now() + 10000;
  while (window.MathJax && !(MathJax.startup && MathJax.startup.promise) && Date.now() < until)
    await sleep(50);
  if (window.MathJax && MathJax.startup && MathJax.startup.promise)
    await MathJax.startup.promise;
  const views = document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]').length;
  while (views && document.querySelectorAll('.jupyter-widgets').length < views
         && Date.now() < until) await sleep(50);
  await sleep(300);
  return true;
})()"""

# Problems with math and animations, found in the page itself.
CHECK_JS = r"""(async () => {
  const problems = [];
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
  const mathEls = [...document.querySelectorAll('.math')];
  for (const el of mathEls)
    if (!el.querySelector('mjx-container'))
      problems.push('untypeset math: ' + el.textContent.trim().slice(0, 60));
  const main = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  const raw = /\\\(|\\\[|\$[^$\s][^$]*\$/;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement && n.parentElement.closest(skip)) continue;
    const m = n.textContent.match(raw);
    if (m) problems.push('raw TeX left in the text: ' + n.textContent.trim().slice(0, 80));
  }
  const sliders = [...document.querySelectorAll('input.anim-slider')];
  for (const slider of sliders) {
    const img = document.getElementById(slider.id.replace('_anim_slider', '_anim_img'));
    if (!img) { problems.push('animation ' + slider.id + ' has no image'); continue; }
    const max = parseInt(slider.max || '0');
    if (max < 1) { problems.push('animation ' + slider.id + ' has one frame'); continue; }
    const before = img.src;
    slider.value = String(max);
    slider.dispatchEvent(new Event('input', {bubbles: true}));
    await new Promise(r => setTimeout(r, 50));
    if (img.src === before)
      problems.push('animation ' + slider.id + ': moving the slider kept the same frame');
  }
  // Figures: shown at no less than 60% of their width in pixels (hidden ones are skipped).
  const figures = [...document.querySelectorAll('div.cell_output img')]
    .filter(img => img.offsetParent !== null && img.naturalWidth > 0);
  for (const img of figures) {
    const shown = img.getBoundingClientRect().width;
    if (shown < 0.6 * img.naturalWidth)
      problems.push(`figure shown at ${Math.round(shown)} px of its ${img.naturalWidth} px: `
                    + (img.alt || img.src.slice(-50)));
  }
  // Tables: none wider than the text column (no sideways scrolling to reach a column).
  const tables = [...document.querySelectorAll('div.cell_output table')]
    .filter(t => t.offsetParent !== null);
  for (const t of tables)
    if (t.scrollWidth > t.clientWidth + 2)
      problems.push(`table wider than the column (${t.scrollWidth} px in ${t.clientWidth} px): `
                    + (t.caption ? t.caption.textContent : t.textContent).trim().slice(0, 70));
  // Widget pages: each bundle of the widget manager loads its fonts from the folder of its
  // AMD module's URL, which must be the vendored one (_vendor/widgets/require-config.js);
  // checked here because which bundle's fonts the browser asks for varies between loads
  if (window.require && window.require.toUrl)
    for (const id of ['@jupyter-widgets/base', '@jupyter-widgets/controls',
                      '@jupyter-widgets/html-manager',
                      '@jupyter-widgets/html-manager/dist/libembed-amd']) {
      const url = window.require.toUrl(id);
      if (!url.includes('/_static/widgets/html-manager-dist/'))
        problems.push(`widget module ${id} resolves outside the vendored fonts: ${url}`);
    }
  return {problems, math: mathEls.length, animations: sliders.length,
          figures: figures.length, tables: tables.length};
})()"""


def page_problems(events: list[dict]) -> list[str]:
    """Console errors, failed loads and requests leaving the site, from a page's events."""
    problems = []
    for e in events:
        method, p = e["method"], e.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text", "")
            problems.append("uncaught: " + text.splitlines()[0])
        elif method == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            problems.append("console.error: " + args.splitlines()[0] if args else p["type"])
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error" \
                and p["entry"].get("source") != "network":  # network ones: loadingFailed
            problems.append("console: " + p["entry"]["text"])
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if urlsplit(url).scheme not in ("file", "data"):
                problems.append("request outside the site: " + url)
        elif method == "Network.loadingFailed":
            url = next((x["params"]["request"]["url"] for x in events
                        if x["method"] == "Network.requestWillBeSent"
                        and x["params"]["requestId"] == p["requestId"]), "?")
            problems.append(f"failed load ({p.get('errorText')}): {url}")
    return problems


def site_pages(html: Path) -> list[Path]:
    skip = {"_static", "_sources", "_images"}
    return sorted(p for p in html.rglob("*.html")
                  if not skip & set(p.relative_to(html).parts))


@pytest.fixture(scope="module")
def site_html(request) -> Path:
    given = os.environ.get("SB_SITE_HTML")
    if given:
        return Path(given).resolve()
    root, rc = request.getfixturevalue("built_site")
    assert rc == 0, "the smoke site did not build"
    return root / "_build" / "html"


@pytest.fixture(scope="module")
def browser():
    exe = find_chromium()
    if exe is None:
        if os.environ.get("SB_REQUIRE_BROWSER"):  # set by .ci/run, which installs Chromium
            pytest.fail("SB_REQUIRE_BROWSER is set but no Chromium was found "
                        "(.ci/run installs it with apt-get install -y chromium)")
        pytest.skip("Chromium is not installed (as root: apt-get install -y chromium; "
                    "or set SB_CHROMIUM=/path/to/chromium)")
    b = Browser(exe)
    yield b
    b.close()


def test_config_lists_jupyter_books_extensions_but_thebe():
    """_config.yml replaces jupyter-book's extension list to leave sphinx_thebe out (its
    `const THEBE_JS_URL` script, doubled in <head>, was a SyntaxError on every page): the rest
    must follow jupyter-book's defaults, also after an upgrade. The book's own extension (the
    prose's inline values, sbcore.book.site_inline_values) comes after myst_nb, whose eval role
    it replaces."""
    import yaml
    from jupyter_book.config import get_default_sphinx_config

    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "_config.yml").read_text())
    ours = config["sphinx"]["config"]["extensions"]
    own = [e for e in ours if e.startswith("sbcore.")]
    assert own == ["sbcore.book.site_inline_values"]
    assert ours.index(own[0]) > ours.index("myst_nb")
    assert [e for e in ours if e not in own] == [
        e for e in get_default_sphinx_config()["extensions"] if e != "sphinx_thebe"]


@pytest.mark.slow
def test_every_page_is_clean_offline(site_html, browser):
    start = time.monotonic()
    pages = site_pages(site_html)
    assert pages, f"no pages under {site_html}"
    report, counts = {}, {}
    checked = dict(math=0, animations=0, figures=0, tables=0)
    for page in pages:
        if REDIRECT.search(page.read_text(errors="replace")[:2000]):
            events = browser.open(page.as_uri(), settle=False)  # the target is checked anyway
            found = {"problems": [], "math": 0, "animations": 0, "figures": 0, "tables": 0}
        else:
            events = browser.open(page.as_uri())
            found = browser.evaluate(CHECK_JS)
        for what in checked:
            checked[what] += found[what]
        problems = page_problems(events) + found["problems"]
        name = str(page.relative_to(site_html))
        counts[name] = len(problems)
        if problems:
            report[name] = problems
    elapsed = time.monotonic() - start
    print(f"\n{len(pages)} pages in {elapsed:.1f} s; checked {checked}; "
          f"problems per page: {counts}")
    assert not report, "problems in the browser:\n" + "\n".join(
        f"{name} ({len(ps)}):\n  " + "\n  ".join(ps) for name, ps in report.items())
