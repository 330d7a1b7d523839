"""A headless Chromium (Debian's `chromium`) driven by Selenium through Debian's `chromium-driver`
(`chromedriver`), for tests of what a person sees. Nothing is downloaded: the driver and the
browser are the system's binaries, given to Selenium by path, and Selenium Manager is switched off.
The test starts the browser (chromedriver and chromium listen on 127.0.0.1 only) and quits it."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def require_chromium() -> tuple[str, str]:
    """The browser and driver binaries; skipped where one is missing, except in CI (.ci/run
    installs both)."""
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromium-driver", CHROMEDRIVER))
               if path is None]
    if missing:
        what = " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"{what} not installed; .ci/run installs it")
        pytest.skip(f"{what} not installed (apt: chromium chromium-driver; .ci/run installs them)")
    return CHROMIUM, CHROMEDRIVER


# window.alert/confirm/prompt, replaced before any script of a page runs: a dialog is logged as a
# console error (so errors() reports it) instead of blocking the page
_NO_DIALOGS = ("for (const f of ['alert', 'confirm', 'prompt']) window[f] = function (m) {"
               " console.error('dialog: ' + f + ' ' + String(m)); return null; };")


class Browser:
    """One headless Chromium with one page, driven by Selenium."""

    def __init__(self, width: int = 1366, height: int = 768):
        os.environ["SE_OFFLINE"] = "true"  # Selenium Manager never downloads (nor is it run: paths given)
        from selenium import webdriver  # selenium (test extra)
        from selenium.webdriver.chrome.service import Service

        chromium, chromedriver = require_chromium()
        self.profile = tempfile.mkdtemp(prefix="perfdecl-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                    "--remote-debugging-address=127.0.0.1", f"--user-data-dir={self.profile}",
                    f"--window-size={width},{height}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=chromedriver, port=0,
                          service_args=["--allowed-ips=127.0.0.1"], log_output=subprocess.DEVNULL)
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except BaseException:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.driver.set_page_load_timeout(30)
        self.driver.set_script_timeout(30)
        self.log: list[dict] = []
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _NO_DIALOGS})
        self.viewport(width, height)

    def viewport(self, width: int, height: int, mobile: bool = False) -> None:
        """The page's viewport in CSS px, at one device pixel per CSS px (as the screenshot)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def open(self, url: str) -> None:
        """Loads `url` and waits for its load event; errors() counts from here."""
        self.driver.get_log("browser")  # what earlier pages logged
        self.log = []
        self.driver.get(url)

    def wait_loaded(self, url_end: str, timeout: float = 30) -> None:
        """Waits until a page whose address ends in `url_end` has loaded (after a click on a link)."""
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout).until(
            lambda d: d.current_url.endswith(url_end)
            and d.execute_script("return document.readyState") == "complete")

    def js(self, expression: str):
        return self.driver.execute_script(f"return ({expression});")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions, failed loads and dialogs since the page was opened."""
        self.log += self.driver.get_log("browser")
        return [e.get("message", "")[:500] for e in self.log if e.get("level") == "SEVERE"]

    def click(self, x: float, y: float) -> None:
        """A left click at (x, y) in CSS px of the viewport."""
        from selenium.webdriver.common.action_chains import ActionChains

        actions = ActionChains(self.driver)
        actions.w3c_actions.pointer_action.move_to_location(round(x), round(y))
        actions.w3c_actions.pointer_action.click()
        actions.perform()

    KEYS = {"Tab": "\ue004", "Enter": "\ue007", "ArrowDown": "\ue015", "ArrowUp": "\ue013",
            "Escape": "\ue00c", "j": "j"}  # selenium.webdriver.common.keys.Keys

    def key(self, key: str) -> None:
        """One key pressed and released on the focused element."""
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(self.KEYS[key]).perform()

    def screenshot(self):
        """The viewport as a PIL image (RGB)."""
        from PIL import Image

        return Image.open(io.BytesIO(self.driver.get_screenshot_as_png())).convert("RGB")

    def close(self) -> None:
        try:
            self.driver.quit()  # ends chromium and chromedriver
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)
