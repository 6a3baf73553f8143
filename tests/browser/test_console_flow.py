"""The console in a real browser, the way its users go through it:

* an enterprise (Innoscience Suzhou) logs in, searches, opens its case 337-TA-1414, adds a
  webhook, subscribes to its own risks — and when the 337-TA-1414 notice comes in again and the
  delivery worker runs, the alert is in its inbox and its webhook receiver got it;
* the guidance center's analyst looks at statistics and source health, in Chinese and English.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from ipsentry.alerting.worker import DeliveryWorker
from ipsentry.service.ingest import ingest

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"
NOTICE = "fr:2026-02297"


def log_in(driver: Any, base: str, username: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.ID, "q")))


def wait_for(driver: Any, css: str) -> Any:
    return WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_enterprise_sets_up_a_webhook_and_receives_the_alert(
    driver: Any, live_server: Any, world: Any, receiver: Any, screenshot: Callable[[str], Any]
) -> None:
    base = live_server.url
    driver.get(f"{base}/alerts")
    assert "/login" in driver.current_url  # the console needs a login
    screenshot("01-login")
    log_in(driver, base, "suzhou")

    # Search: highlighted hits, facets and why each matched.
    box = driver.find_element(By.ID, "q")
    box.send_keys("Innoscience")
    driver.find_element(By.ID, "search-submit").click()
    # The page the search replaces may list documents too: wait for it to go first.
    WebDriverWait(driver, 10).until(EC.staleness_of(box))
    wait_for(driver, "article.hit")
    assert driver.find_element(By.ID, "total").text == "共 1 条结果"
    hit = driver.find_element(By.CSS_SELECTOR, "article.hit")
    assert "Innoscience" in [mark.text for mark in hit.find_elements(By.TAG_NAME, "mark")]
    explanation = hit.find_element(By.CSS_SELECTOR, ".explain").text
    assert "英诺赛科（苏州）科技有限公司" in explanation and "被申请人" in explanation
    assert "英诺赛科（珠海）" not in explanation  # another enterprise's match is not shown
    screenshot("02-search")

    # The case: its timeline and parties.
    hit.find_element(By.CSS_SELECTOR, "a.case-link").click()
    wait_for(driver, "#timeline")
    assert driver.find_element(By.ID, "case-id").text == "337-TA-1414"
    timeline = driver.find_element(By.ID, "timeline").text
    assert "委员会复审" in timeline and "2026-02-05" in timeline
    assert "Infineon Technologies Americas Corp." in driver.page_source
    screenshot("03-case")

    # A webhook to the receiver, then a subscription to the enterprise's own risks using it.
    driver.get(f"{base}/channels")
    Select(driver.find_element(By.ID, "ch-kind")).select_by_value("webhook")
    driver.find_element(By.ID, "ch-name").send_keys("法务部 Webhook")
    driver.find_element(By.ID, "ch-target").send_keys(f"{receiver.url}/ipsentry")
    driver.find_element(By.ID, "ch-secret").send_keys("a-long-signing-secret")
    driver.find_element(By.ID, "ch-create").click()
    wait_for(driver, "tr.channel")
    assert "法务部 Webhook" in driver.find_element(By.ID, "channels").text
    assert "a-long-signing-secret" not in driver.page_source

    driver.get(f"{base}/subscriptions")
    Select(driver.find_element(By.ID, "sub-kind")).select_by_value("enterprise")
    driver.find_element(By.ID, "sub-name").send_keys("英诺赛科苏州 风险监测")
    Select(driver.find_element(By.ID, "sub-severity")).select_by_value("info")
    driver.find_element(By.CSS_SELECTOR, "input.sub-channel").click()
    driver.find_element(By.ID, "sub-preview").click()
    wait_for(driver, "#preview")
    assert "enterprise:" in driver.find_element(By.ID, "preview").text
    driver.find_element(By.ID, "sub-create").click()
    wait_for(driver, "tr.subscription")
    assert "英诺赛科苏州 风险监测" in driver.find_element(By.ID, "subscriptions").text
    assert "订阅已创建" in driver.page_source
    screenshot("04-subscriptions")

    # The next crawl brings the 337-TA-1414 notice again; the worker delivers the alert.
    result = ingest(world.context, world.notice())
    assert result.alerts == 1
    stats = DeliveryWorker(world.context.session_factory, world.context.settings).run_once()
    assert stats.delivered == 1
    sent = receiver.requests[-1]
    assert sent.path == "/ipsentry" and sent.json()["alert"]["document_id"] == NOTICE
    assert sent.headers["x-ipsentry-signature"].startswith("sha256=")

    driver.get(f"{base}/alerts")
    row = wait_for(driver, f'tr.alert-row[data-document="{NOTICE}"]')
    assert "Certain Semiconductor Devices" in row.text and "UTC+08:00" in row.text
    screenshot("05-alerts")
    row.find_element(By.CSS_SELECTOR, "button.ack").click()
    # The form reloads the page: wait for the old row to go before reading the new one.
    WebDriverWait(driver, 10).until(EC.staleness_of(row))
    row = wait_for(driver, f'tr.alert-row[data-document="{NOTICE}"]')
    assert "已于" in row.text and "确认" in row.text

    # The alert's page shows where it went and how each attempt went.
    row.find_element(By.CSS_SELECTOR, "td a[href^='/alerts/']").click()
    delivery = wait_for(driver, "tr.delivery")
    assert "已送达" in delivery.text and "200" in delivery.text
    screenshot("06-alert")

    driver.get(f"{base}/enterprises")
    wait_for(driver, "#risk-documents")
    assert driver.find_element(By.ID, "risk-documents").text == "1"
    screenshot("07-enterprise-risk")

    driver.get(f"{base}/documents/{NOTICE}")
    wait_for(driver, "dl.facts")
    screenshot("08-document")


def test_center_views_statistics_and_source_health(
    driver: Any, live_server: Any, world: Any, screenshot: Callable[[str], Any]
) -> None:
    base = live_server.url
    log_in(driver, base, "analyst")
    driver.get(f"{base}/statistics")
    chart = wait_for(driver, "#chart-months svg")
    assert len(chart.find_elements(By.CSS_SELECTOR, "rect.series-itc337")) > 10
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-plaintiffs svg rect")
    regions = driver.find_element(By.ID, "chart-regions").text
    assert "江苏省" in regions and "广东省" in regions
    screenshot("09-statistics")

    driver.get(f"{base}/sources")
    wait_for(driver, "#source-federal_register")
    assert "未运行" in driver.find_element(By.ID, "source-federal_register").text
    screenshot("10-sources")

    driver.get(f"{base}/search?q=exclusion+AND+kind%3Aitc337&sort=date_desc")
    wait_for(driver, "article.hit")
    screenshot("11-search-center")
    driver.find_element(By.ID, "lang-en").click()
    WebDriverWait(driver, 10).until(lambda d: "results" in d.find_element(By.ID, "total").text)
    assert driver.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") == "en"
    time.sleep(0.2)  # let the fonts settle before the picture
    screenshot("12-search-english")
