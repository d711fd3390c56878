"""The pages in a real browser: Debian's Chromium, driven by Selenium through Debian's chromedriver.

Nothing is downloaded: the driver and browser paths are given, and Selenium Manager (which would
fetch a driver) is made to fail the test if it is ever asked. Screenshots go to build/serve/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import http
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common import selenium_manager
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = Path(__file__).resolve().parents[3] / "build" / "serve"
WAIT_S = 60  # a shared 2-core machine: generous, and only ever waited out on failure


def _no_selenium_manager(*args: object, **kwargs: object) -> dict[str, str]:
    raise AssertionError("Selenium Manager must not run: it would download a driver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    patch = pytest.MonkeyPatch()
    patch.setattr(selenium_manager.SeleniumManager, "binary_paths", _no_selenium_manager)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--mute-audio",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        patch.undo()


def _wait(driver: WebDriver, condition, what: str):  # type: ignore[no-untyped-def]
    return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(
        lambda d: condition(d), message=what
    )


def _time(driver: WebDriver) -> float:
    return float(driver.execute_script("return document.getElementById('player').currentTime"))


def _screenshot(driver: WebDriver, name: str) -> None:
    """The whole page, not only the window: the window grows to the page's height for it."""
    size = driver.get_window_size()
    width, height = size["width"], size["height"]
    page = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, max(height, page + 140))  # + the browser's own frame
    driver.save_screenshot(str(SHOTS / name))
    driver.set_window_size(width, height)


def _has_metadata(driver: WebDriver) -> bool:
    return bool(driver.execute_script("return document.getElementById('player').readyState >= 1"))


def _no_alert(driver: WebDriver) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018  (reading it is what raises)


def test_the_library_page_lists_the_videos(browser: WebDriver, base: str) -> None:
    browser.get(base + "/")
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".card .title")]
    assert titles == ["clips / talk", "clips / tone"]
    talk = browser.find_element(By.CSS_SELECTOR, "[data-video='clips--talk']")
    assert "Alice, Bob" in talk.text and "00:24" in talk.text
    browser.save_screenshot(str(SHOTS / "library.png"))


def test_the_video_plays_and_a_chapter_click_seeks_to_its_start(
    browser: WebDriver, base: str
) -> None:
    browser.get(base + "/v/clips--talk")
    _wait(browser, _has_metadata, "the media's metadata")
    browser.execute_script("document.getElementById('player').play()")
    _wait(browser, lambda d: _time(d) > 0.5, "the video plays: currentTime advances")
    chapters = browser.find_elements(By.CSS_SELECTOR, ".chapter")
    assert len(chapters) >= 2
    target = chapters[-1]
    start = float(target.get_attribute("data-start"))
    end = float(target.get_attribute("data-end"))
    assert end - start > 2
    target.click()
    _wait(browser, lambda d: start - 0.05 <= _time(d) < start + 1.5, "seek to the chapter")
    _wait(browser, lambda d: "now" in target.get_attribute("class"), "the chapter is marked")
    line = _wait(
        browser, lambda d: d.find_element(By.CSS_SELECTOR, "#transcript .line.now"), "a line"
    )
    assert float(line.get_attribute("data-start")) <= _time(browser) + 0.5
    browser.execute_script("document.getElementById('player').pause()")
    _screenshot(browser, "video.png")


def test_an_answer_citation_seeks_to_the_cited_second(browser: WebDriver, base: str) -> None:
    browser.get(base + "/v/clips--talk")
    _wait(browser, _has_metadata, "the media's metadata")
    browser.find_element(By.ID, "question").send_keys("Which enzyme unwinds the double helix?")
    browser.find_element(By.CSS_SELECTOR, "#ask button").click()
    answer: WebElement = _wait(
        browser, lambda d: d.find_element(By.CSS_SELECTOR, "#answers .answer"), "an answer"
    )
    assert "helicase" in answer.text.lower()
    cite = answer.find_element(By.CSS_SELECTOR, ".cite")
    cited = float(cite.get_attribute("data-start"))
    assert cite.get_attribute("href").endswith(f"#t={cite.get_attribute('data-start')}")
    cite.click()
    _wait(browser, lambda d: cited - 0.05 <= _time(d) < cited + 1.5, "seek to the citation")
    browser.execute_script("document.getElementById('player').pause()")
    _screenshot(browser, "answer.png")


def test_asking_across_videos_links_into_each(browser: WebDriver, base: str) -> None:
    browser.get(base + "/")
    browser.find_element(By.ID, "question").send_keys("Where did Gutenberg build his press?")
    browser.find_element(By.CSS_SELECTOR, "#ask button").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".answer")) == 2, "answers")
    tone = browser.find_elements(By.CSS_SELECTOR, ".answer")[0]  # the best match comes first
    assert "Mainz" in tone.text
    cite = tone.find_element(By.CSS_SELECTOR, ".cite")
    assert "/v/clips--tone#t=" in cite.get_attribute("href")
    browser.save_screenshot(str(SHOTS / "library-answers.png"))
    cite.click()
    _wait(browser, lambda d: "/v/clips--tone" in d.current_url, "the video page")
    cited = float(browser.current_url.split("#t=")[1])
    _wait(browser, lambda d: cited - 0.05 <= _time(d) < cited + 1.5, "the audio page seeks")
    assert browser.find_element(By.ID, "player").tag_name == "audio"


def test_markup_in_a_caption_shows_as_text(browser: WebDriver, base: str) -> None:
    browser.get(base + "/v/clips--talk")
    lines = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#transcript .line")]
    assert any('<script>alert("caption")</script> is only text' in text for text in lines)
    browser.find_element(By.ID, "question").send_keys("What is only text in a caption?")
    browser.find_element(By.CSS_SELECTOR, "#ask button").click()
    answer = _wait(
        browser, lambda d: d.find_element(By.CSS_SELECTOR, "#answers .answer .a"), "an answer"
    )
    assert "<script>" in answer.text
    _no_alert(browser)


def test_a_new_run_appears_on_the_open_library_page(
    browser: WebDriver, runs: Path, stopped: Path, serve, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    shutil.copytree(runs / "clips" / "talk", library / "talk")
    shutil.copytree(stopped, library / "nocaps")
    url = serve(library)
    browser.get(url + "/")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".card")) == 2
    assert "Stopped at stage transcript" in browser.find_element(By.CSS_SELECTOR, ".failed").text
    growing = library / "tone"
    growing.mkdir()
    shutil.copy2(runs / "clips" / "tone" / "timeline.json", growing / "timeline.json")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".card")) == 3, "new run")
    card = browser.find_element(By.CSS_SELECTOR, "[data-video='tone']")
    assert "in progress" in card.text
    done = card.find_elements(By.CSS_SELECTOR, ".stages li.done")
    assert [e.text.strip("✓ ") for e in done] == ["extract"]
    browser.save_screenshot(str(SHOTS / "library-progress.png"))
    assert json.loads(http(url, "/api/videos")[2])[2]["status"] == "running"
