"""The 上传文件核验 form in a real headless Chromium: a sealed certificate PDF is set on
the file input, the form is submitted with a mouse click, and the result page is read.

Chromium is driven over the DevTools protocol (``--remote-debugging-port``; the
``websockets`` client that uvicorn brings): the plain ``--screenshot`` run of the other
browser tests cannot choose a file. The page has no JavaScript, and the test runs none in
it: the file is set with ``DOM.setFileInputFiles`` and the DOM is read with
``DOM.getOuterHTML``. Screenshots go to ``$ECERT_TEST_ARTIFACTS`` (else the test's
temporary directory).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import websockets
from PIL import Image

from tests.e2e.test_verify_page_browser import VIEWPORT, _chromium, _close
from tests.support.flows import issue_yubei_certificate, make_people
from tests.verify.document_support import init_sealing, sealed_pdf

GREEN = (0x0B, 0x7A, 0x3B)  # .state-valid in verify_page/static/verify.css


class _Cdp:
    """One DevTools page session: commands by id, events queued by name."""

    def __init__(self, socket: Any) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        command_id = next(self._ids)
        await self._socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self._socket.recv(), timeout=60))
            if message.get("id") == command_id:
                assert "error" not in message, message
                return message.get("result", {})
            self._events.append(message)

    async def event(self, method: str) -> dict[str, Any]:
        for index, message in enumerate(self._events):
            if message.get("method") == method:
                return self._events.pop(index)
        while True:
            message = json.loads(await asyncio.wait_for(self._socket.recv(), timeout=60))
            if message.get("method") == method:
                return message
            self._events.append(message)

    async def html(self) -> str:
        root = (await self.call("DOM.getDocument", depth=0))["root"]["nodeId"]
        return (await self.call("DOM.getOuterHTML", nodeId=root))["outerHTML"]

    async def node(self, selector: str) -> int:
        root = (await self.call("DOM.getDocument", depth=0))["root"]["nodeId"]
        node_id = (await self.call("DOM.querySelector", nodeId=root, selector=selector))["nodeId"]
        assert node_id, f"no {selector} on the page"
        return int(node_id)

    async def screenshot(self, path: Path) -> None:
        metrics = await self.call("Page.getLayoutMetrics")
        height = int(metrics["cssContentSize"]["height"])
        shot = await self.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": VIEWPORT[0], "height": height, "scale": 1},
        )
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))


async def _devtools_port(proc: asyncio.subprocess.Process) -> int:
    assert proc.stderr is not None
    while True:
        line = await asyncio.wait_for(proc.stderr.readline(), timeout=30)
        assert line, "Chromium exited before DevTools listened"
        found = re.search(rb"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
        if found:
            return int(found.group(1))


def _artifacts(tmp_path: Path) -> Path:
    target = Path(os.environ.get("ECERT_TEST_ARTIFACTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


async def test_upload_a_certificate_pdf_and_read_the_verdict(server, deps, backend, tmp_path):
    binary = _chromium()
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    await init_sealing(deps)
    pdf = tmp_path / "证书.pdf"
    pdf.write_bytes(await sealed_pdf(deps, cert))
    shots = _artifacts(tmp_path)

    proc = await asyncio.create_subprocess_exec(
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        port = await _devtools_port(proc)
        async with httpx.AsyncClient(timeout=10) as http:
            targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
        page_ws = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        async with websockets.connect(page_ws, max_size=50_000_000) as socket:
            cdp = _Cdp(socket)
            await cdp.call("Page.enable")
            await cdp.call(
                "Emulation.setDeviceMetricsOverride",
                width=VIEWPORT[0],
                height=VIEWPORT[1],
                deviceScaleFactor=1,
                mobile=True,
            )
            await cdp.call("Page.navigate", url=f"{server.base_url}/verify-document")
            await cdp.event("Page.loadEventFired")
            form_html = await cdp.html()
            assert "核验证书文件" in form_html
            await cdp.screenshot(shots / f"verify-document-form-{backend}.png")

            file_input = await cdp.node("#document")
            await cdp.call("DOM.setFileInputFiles", nodeId=file_input, files=[str(pdf)])
            button = await cdp.node("#submit")
            await cdp.call("DOM.scrollIntoViewIfNeeded", nodeId=button)
            quad = (await cdp.call("DOM.getContentQuads", nodeId=button))["quads"][0]
            x, y = sum(quad[0::2]) / 4, sum(quad[1::2]) / 4
            for kind in ("mousePressed", "mouseReleased"):
                await cdp.call(
                    "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
                )
            await cdp.event("Page.loadEventFired")
            result = await cdp.html()
            shot = shots / f"verify-document-{backend}.png"
            await cdp.screenshot(shot)
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=30)

    assert 'data-code="GENUINE_CURRENT"' in result, result[:2000]
    assert "真实有效" in result
    for section in ('id="seal"', 'id="qr"', 'id="status"'):
        assert section in result
    assert "渝北区人力资源和社会保障局" in result and cert.check_code in result
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        assert rgb.width == VIEWPORT[0] and rgb.height > VIEWPORT[1] // 2
        banner = rgb.getpixel((8, 80))  # below the site header
        assert isinstance(banner, tuple) and _close(banner, GREEN), banner
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        assert len(colours) >= 16, f"screenshot looks blank ({len(colours)} colours)"
