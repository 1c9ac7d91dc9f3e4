"""The verification page in a real headless Chromium on a phone-sized viewport (390×844).

Each public state — 有效, 已更正, 已撤销, 无法验证 — is loaded from the live test server
(the path of the official URL, as a phone would after scanning). Screenshots are kept under
``test-artifacts/e2e/`` (git-ignored) and checked not to be blank: the big state banner
must be there in its colour. ``--dump-dom`` gives the rendered DOM, which must carry the
state's text. No JavaScript is involved: the page has none.

Without Chromium (Debian: ``apt-get install -y chromium fonts-noto-cjk``) the test is
skipped, or fails when ``ECERT_REQUIRE_BROWSER=1`` (CI).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.verify.verify_support import certificates_in_every_state, local_path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
VIEWPORT = (390, 844)
# State → (text in the DOM, banner colour from verify_page/static/verify.css).
STATES = {
    "VALID": ("有效", (0x0B, 0x7A, 0x3B)),
    "SUPERSEDED": ("已更正", (0xA1, 0x5C, 0x00)),
    "REVOKED": ("已撤销", (0xB3, 0x26, 0x1E)),
    "UNVERIFIABLE": ("无法验证", (0x3C, 0x46, 0x50)),
}


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        reason = "headless Chromium not installed (apt-get install -y chromium fonts-noto-cjk)"
        if os.environ.get("ECERT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and ECERT_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return found


async def _chromium_run(binary: str, profile: Path, *args: str) -> str:
    """One headless run; async so that the live server in this event loop keeps answering."""
    proc = await asyncio.create_subprocess_exec(
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode("utf-8", errors="replace")


def _close(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 6 for a, b in zip(pixel[:3], colour, strict=True))


async def test_each_state_renders_on_a_phone(server, deps, backend, tmp_path):
    binary = _chromium()
    states = await certificates_in_every_state(deps)
    prefix, payload = local_path(states.valid.verification_url).rsplit("/", 1)
    i = len(payload) // 2
    tampered = f"{prefix}/{payload[:i]}{'Q' if payload[i] != 'Q' else 'R'}{payload[i + 1 :]}"
    paths = {
        "VALID": local_path(states.valid.verification_url),
        "SUPERSEDED": local_path(states.superseded.verification_url),
        "REVOKED": local_path(states.revoked.verification_url),
        "UNVERIFIABLE": tampered,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    for state, path in paths.items():
        text, colour = STATES[state]
        url = server.base_url + path
        shot = ARTIFACTS / f"{backend}-{state.lower()}.png"
        shot.unlink(missing_ok=True)
        await _chromium_run(binary, tmp_path / f"profile-{state}", f"--screenshot={shot}", url)
        dom = await _chromium_run(binary, tmp_path / f"dom-{state}", "--dump-dom", url)
        (ARTIFACTS / f"{backend}-{state.lower()}.html").write_text(dom, encoding="utf-8")

        assert f'data-state="{state}">{text}</h1>' in dom, state
        assert "<script" not in dom.lower()
        holder = "欧阳娜娜" if state == "REVOKED" else "张三"
        if state == "UNVERIFIABLE":
            assert holder not in dom and 'class="photo"' not in dom
        else:
            assert holder in dom and 'class="photo"' in dom

        assert shot.is_file(), f"no screenshot for {state}"
        with Image.open(shot) as image:
            rgb = image.convert("RGB")
            assert rgb.size == VIEWPORT
            colours = rgb.getcolors(maxcolors=1 << 20) or []
            assert len(colours) >= 16, f"{state}: screenshot looks blank ({len(colours)} colours)"
            # The banner fills the width just below the site header, in the state's colour.
            banner = [rgb.getpixel((x, 120)) for x in (8, 40, VIEWPORT[0] - 8)]
            assert all(_close(p, colour) for p in banner), (state, banner)


async def test_key_revoked_state_renders_on_a_phone(server, deps, backend, tmp_path):
    """An honest QR code signed by a key revoked after the fact: its own state and colour
    (verify_page/static/verify.css ``.state-key_revoked``), never 有效 nor 无法验证."""
    from tests.services.test_key_reissue import _drill_setup, _revoke_with_reissue

    binary = _chromium()
    drill = await _drill_setup(deps)
    await _revoke_with_reissue(drill)
    url = server.base_url + local_path(drill.affected[0].verification_url or "")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{backend}-key_revoked.png"
    shot.unlink(missing_ok=True)
    await _chromium_run(binary, tmp_path / "profile", f"--screenshot={shot}", url)
    dom = await _chromium_run(binary, tmp_path / "dom", "--dump-dom", url)
    assert 'data-state="KEY_REVOKED"' in dom, dom[:500]
    assert "签名密钥已停用，请持证人重新获取证书" in dom
    assert "<script" not in dom.lower()
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        banner = [rgb.getpixel((x, 120)) for x in (8, 40, VIEWPORT[0] - 8)]
        assert all(_close(p, (0x8A, 0x4B, 0x00)) for p in banner), banner
