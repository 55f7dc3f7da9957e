"""The app in a real browser: Debian's Chromium driven by Playwright (headless).

Set SCREENSHOT_DIR to keep screenshots (the README's are made this way: SCREENSHOT_DIR=docs).
Skipped where Chromium or Playwright is missing, unless REQUIRE_BROWSER=1 (as in CI).
"""

import math
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, fake_camera_video, start_live_webcam

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if os.environ.get("REQUIRE_BROWSER") != "1":
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
    pytest.importorskip("playwright")

from playwright import sync_api  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def playwright():
    with sync_api.sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def page(playwright, app_url):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector("#sketch canvas", timeout=60_000)
    yield page
    browser.close()


def screenshot(page, name: str) -> None:
    if os.environ.get("SCREENSHOT_DIR"):
        Path(os.environ["SCREENSHOT_DIR"]).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(os.environ["SCREENSHOT_DIR"]) / name), full_page=True)


def stroke(page, points, box) -> None:
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x, y0 + y, steps=4)
    page.mouse.up()


def reading(page) -> str:
    return page.locator("#reading .number").inner_text(timeout=30_000)


def wait_for_reading(page, expected: str) -> None:
    """Wait until the page shows `expected`; on time-out, fail showing what it does show."""
    try:
        page.wait_for_function(f"document.querySelector('#reading .number')?.innerText === '{expected}'",
                               timeout=30_000)
    except sync_api.TimeoutError:
        pytest.fail(f"expected {expected}, the page shows {page.locator('#reading').inner_text()!r}")


def test_draw_a_number_and_switch_models(page):
    brush = page.locator("#sketch button[aria-label='Brush']")
    if brush.count():
        brush.first.click()
    box = page.locator("#sketch canvas").first.bounding_box()
    scale = box["height"] / 300  # strokes drawn in canvas units of a 300-pixel-high canvas
    s = lambda pts: [(x * scale, y * scale) for x, y in pts]  # noqa: E731
    stroke(page, s([(160, 80), (145, 220)]), box)  # 1
    stroke(page, s([(220, 80), (300, 80), (250, 220)]), box)  # 7
    ellipse = [(390 + 40 * math.sin(t / 10), 150 - 70 * math.cos(t / 10)) for t in range(0, 64)]
    stroke(page, s(ellipse), box)  # 0
    wait_for_reading(page, "170")
    table = page.locator("#probabilities table.probabilities")
    assert table.locator("tr").count() == 4  # the header and one row per digit
    assert table.locator("td.best").count() == 3
    screenshot(page, "sketch.png")
    page.get_by_label("Model").click()
    page.get_by_role("option", name="CNN (convolutional, CTC)").click()
    page.wait_for_timeout(1500)
    assert reading(page) == "170"


def test_upload_an_example_photo(page):
    page.get_by_role("tab", name="Upload").click()
    photo = ROOT / "examples" / "paper-photo-385.png"
    page.locator("#upload input[type=file]").set_input_files(str(photo))
    wait_for_reading(page, "385")
    screenshot(page, "upload.png")


def test_live_webcam_reads_the_number_held_up(playwright, app_url, tmp_path):
    video = fake_camera_video(tmp_path / "camera.y4m", "2048")
    camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS + camera)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        start_live_webcam(page)
        wait_for_reading(page, "2048")  # read the right way round: the frames are not mirrored
        screenshot(page, "webcam.png")
    finally:
        browser.close()


def test_upload_webp_bmp_heic_avif_and_a_file_that_is_not_an_image(page, tmp_path):
    from tests.made_files import awkward_files, unreadable_files

    page.get_by_role("tab", name="Upload").click()
    awkward, unreadable = awkward_files(tmp_path, "47"), unreadable_files(tmp_path)
    for name in ("webp.webp", "bitmap.bmp", "exif-rotated.jpg", "heic.heic", "exif-rotated.avif"):
        page.locator("#upload input[type=file]").set_input_files(str(awkward[name]))
        wait_for_reading(page, "47")
        page.locator("#upload button[aria-label='Remove Image']").click()  # back to the notice before the next one
        page.wait_for_function("document.querySelector('#reading')?.innerText.includes('Draw, upload or film')")
    page.locator("#upload input[type=file]").set_input_files(str(unreadable["text.png"]))
    page.wait_for_function("document.querySelector('#reading')?.innerText.includes('cannot be read')",
                           timeout=30_000)
