"""Helpers for the notebook tests: executing notebooks headless, the widget renderer's npm assets,
a JupyterLab server, and headless Chromium (the recipe in shared/design/NOTEBOOK_TESTING.md).

Nothing here reaches past loopback: the kernels talk to agentkit's emulator, the browser to a
JupyterLab on 127.0.0.1, and the only download is `npm pack` from the npm registry (cached).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
SECRET = "sk-live-NEVER-SHOW-4c1f9e2b7a6d58e3f0a9"
"""The API key the test kernels use; it must appear in no output, widget state or HTML."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
NPM_ASSETS = {
    # package spec -> (file inside the tarball, local name)
    "@jupyter-widgets/html-manager@1": ("package/dist/embed-amd.js", "embed-amd.js"),
    "requirejs@2": ("package/require.js", "require.js"),
}


def kernel_env(tmp: Path) -> dict[str, str]:
    """The environment for kernels and servers: this checkout importable, the secret key set,
    no real relay configured, Jupyter's config and runtime kept in `tmp`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTKIT_", "OPENAI_", "ANTHROPIC_", "GEMINI_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["AGENTKIT_API_KEY"] = SECRET
    for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                      ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")):
        path = tmp / "jupyter" / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


@contextlib.contextmanager
def patched_environ(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def execute(path: Path, tmp: Path, *, timeout: int = 180) -> Any:
    """Run a notebook top to bottom in a fresh kernel (cwd `tmp`); return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    with patched_environ(kernel_env(tmp)):
        client = NotebookClient(book, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp)}})
        client.execute()
    return book


def widget_state(book: Any) -> dict[str, Any]:
    """model_id -> state of every widget saved in an executed notebook."""
    saved = book.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return {k: v.get("state", {}) for k, v in saved.get("state", {}).items()}


def cell_outputs(book: Any, index: int) -> list[Any]:
    code = [c for c in book.cells if c.cell_type == "code"]
    return list(code[index].outputs)


def widget_html(book: Any) -> str:
    """All HTML widget values of a notebook, joined (what the live views showed at the end)."""
    states = widget_state(book)
    return "\n".join(str(s.get("value", "")) for s in states.values() if s.get("_model_name") == "HTMLModel")


def npm_assets(cache: Path | None = None) -> dict[str, Path]:
    """`embed-amd.js` (the widget renderer) and `require.js`, from the npm registry via `npm pack`, cached."""
    cache = cache or Path(os.environ.get("AGENTKIT_TEST_CACHE", ROOT / ".cache" / "test-assets"))
    cache.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for spec, (member, name) in NPM_ASSETS.items():
        target = cache / name
        if not target.exists():
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError("`npm` is needed to fetch the widget renderer for static HTML; install nodejs/npm.")
            done = subprocess.run([npm, "pack", "--silent", spec], cwd=cache, capture_output=True, text=True,
                                  timeout=120, check=True)
            tarball = cache / done.stdout.strip().splitlines()[-1]
            with tarfile.open(tarball) as archive:
                source = archive.extractfile(member)
                assert source is not None, f"{member} is missing from {tarball.name}"
                target.write_bytes(source.read())
            tarball.unlink()
        out[name] = target
    return out


def to_html(book_path: Path, out: Path) -> Path:
    """nbconvert an executed notebook to HTML with the widget renderer served from local files."""
    assets = npm_assets()
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(book_path), "--output", str(out),
         f"--HTMLExporter.require_js_url={assets['require.js'].as_uri()}",
         f"--HTMLExporter.widget_renderer_url={assets['embed-amd.js'].as_uri()}",
         "--HTMLExporter.mathjax_url="],
        check=True, capture_output=True, timeout=120,
    )
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Lab:
    """A JupyterLab server on loopback, in its own process group, with its settings in a temp dir."""

    def __init__(self, root: Path, tmp: Path) -> None:
        self.root = root
        self.tmp = tmp
        self.port = free_port()
        self.token = os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "jupyterlab.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> Lab:
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}", "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}", "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True",
        ]
        settings = Path(kernel_env(self.tmp)["JUPYTERLAB_SETTINGS_DIR"])
        for plugin, values in (
            # Render every cell (JupyterLab 4 detaches off-screen cells by default), and no news toast.
            ("@jupyterlab/notebook-extension/tracker", {"windowingMode": "none"}),
            ("@jupyterlab/apputils-extension/notification", {"fetchNews": "false", "checkForUpdates": False}),
        ):
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, env=kernel_env(self.tmp), stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited at start:\n{self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(
                f"{self.url}/api/status?token={self.token}", timeout=2
            ) as answer:
                if answer.status == 200:
                    return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        with contextlib.suppress(OSError):
            request = urllib.request.Request(f"{self.url}/api/shutdown?token={self.token}", method="POST")
            urllib.request.urlopen(request, timeout=5).close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        self.process = None

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"


def run_in_lab(notebook: Path, tmp: Path, drive: Callable[[Any, Lab], None], *, name: str,
               viewport: dict[str, int], permissions: Sequence[str] = ()) -> None:
    """Open a copy of `notebook` in a JupyterLab on loopback in headless Chromium and call `drive(page, lab)`.

    A failure keeps a screenshot and the page (`save_failure`); reaching any host but loopback fails.
    """
    from playwright.sync_api import sync_playwright

    root = tmp / "root"
    root.mkdir()
    shutil.copy(notebook, root / notebook.name)
    ARTIFACTS.mkdir(exist_ok=True)
    lab = Lab(root, tmp).start()
    outside: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=viewport, device_scale_factor=1, permissions=list(permissions))
            page = context.new_page()
            page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                    else outside.append(r.url))
            try:
                drive(page, lab)
            except BaseException:
                save_failure(page, name)
                raise
            finally:
                browser.close()
    finally:
        lab.stop()
    assert not outside, f"The page reached beyond loopback: {outside[:5]}"


def save_failure(page: Any, name: str) -> None:
    """Keep a screenshot and the page's HTML in test-artifacts/ when a browser test fails."""
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.suppress(Exception):
        page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"), full_page=True)
    with contextlib.suppress(Exception):
        (ARTIFACTS / f"{name}-failure.html").write_text(page.content())


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
