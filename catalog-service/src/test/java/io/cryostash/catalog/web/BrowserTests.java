// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.web;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.user.Role;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A person in headless Chromium (Debian's chromium and chromedriver): logs in, filters the images
 * by job and then by time, opens one, asks for a restore on a compatible host and finds the request in the list.
 * Every page is loaded by a form post or a link, and each step waits for the old page to go
 * (clickAndWaitForNextPage), never on a timer.
 */
@CatalogTest
class BrowserTests {

    static WebDriver browser;
    static Path profile;

    @LocalServerPort int port;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;

    @BeforeAll
    static void startBrowser() throws Exception {
        profile = Files.createTempDirectory("cryostash-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1400,1000", "--user-data-dir=" + profile);
        // The console, to see what the Content-Security-Policy refused.
        options.setCapability("goog:loggingPrefs", java.util.Map.of("browser", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopBrowser() throws Exception {
        if (browser != null) browser.quit();
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void logOut() {
        browser.get(url("/login"));
        browser.manage().deleteAllCookies();
    }

    /**
     * Clicks a link or submit button and waits until the page it was on is gone: chromedriver's
     * click can return before the navigation it starts has replaced the page, and the next lookup
     * would then read the old page (or hold elements that go stale under it).
     */
    static void clickAndWaitForNextPage(WebElement element) {
        WebElement page = browser.findElement(By.tagName("html"));
        element.click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(replaced(page));
    }

    /**
     * Whether the document {@code old} belongs to was replaced. Like {@code ExpectedConditions.stalenessOf},
     * but chromedriver, asked about a node while its document is being replaced, may answer "Node with
     * given id does not belong to the document" (an unknown error) instead of "stale element": that,
     * too, says the old document is gone.
     */
    static org.openqa.selenium.support.ui.ExpectedCondition<Boolean> replaced(WebElement old) {
        return driver -> {
            try {
                old.isEnabled();
                return false;
            } catch (org.openqa.selenium.StaleElementReferenceException | org.openqa.selenium.NoSuchElementException e) {
                return true;
            } catch (org.openqa.selenium.WebDriverException e) {
                if (String.valueOf(e.getMessage()).contains("does not belong to the document")) {
                    return true;
                }
                throw e;
            }
        };
    }

    String url(String path) {
        return "http://localhost:" + port + path;
    }

    @Test
    void operatorLogsInFiltersImagesOpensOneAndRequestsARestore() throws Exception {
        var source = fx.host("browser-src");
        var target = fx.host("browser-dst");
        var arm = fx.host("browser-arm", "aarch64", List.of("fp", "asimd"), "arm-vdso");
        String job = Fixtures.unique("weather-model");
        Instant t = Instant.parse("2026-11-20T08:00:00Z");
        String older = fx.register(source, fx.registration(source, job, t, null, 900_000, 3));
        String wanted = fx.register(source, fx.registration(source, job, t.plusSeconds(600), older, 900_010, 2));
        fx.image(source, "unrelated-job");
        String operator = fx.user(Role.OPERATOR);

        browser.get(url("/images"));
        assertThat(browser.getCurrentUrl()).endsWith("/login");
        browser.findElement(By.id("username")).sendKeys(operator);
        browser.findElement(By.id("password")).sendKeys(operator + "-password");
        browser.findElement(By.id("login")).click();

        browser.get(url("/images"));
        new Select(browser.findElement(By.id("filter-job"))).selectByValue(job);
        clickAndWaitForNextPage(browser.findElement(By.id("apply-filter")));
        List<WebElement> links = browser.findElements(By.cssSelector("#images a.image-link"));
        assertThat(links).extracting(WebElement::getText).containsExactly(wanted, older);

        // From 5 minutes after the older image (datetime-local inputs are set through script: typing
        // into them depends on the browser's locale); the job filter stays, and so does the time.
        WebElement from = browser.findElement(By.id("filter-from"));
        ((JavascriptExecutor) browser).executeScript("arguments[0].value = arguments[1]", from, "2026-11-20T08:05:00");
        clickAndWaitForNextPage(browser.findElement(By.id("apply-filter")));
        links = browser.findElements(By.cssSelector("#images a.image-link"));
        assertThat(links).extracting(WebElement::getText).containsExactly(wanted);
        assertThat(browser.findElement(By.id("filter-from")).getAttribute("value")).startsWith("2026-11-20T08:05");

        clickAndWaitForNextPage(links.get(0));
        assertThat(browser.findElement(By.id("image-id")).getText()).isEqualTo(wanted);
        Select hosts = new Select(browser.findElement(By.id("restore-host")));
        List<String> offered = hosts.getOptions().stream().map(o -> o.getAttribute("value")).toList();
        assertThat(offered).contains(source.hostId(), target.hostId()).doesNotContain(arm.hostId());
        assertThat(browser.findElement(By.cssSelector("ul.reasons")).getText())
                .contains(arm.hostId())
                .contains("architecture aarch64, image needs x86_64");
        hosts.selectByValue(target.hostId());
        clickAndWaitForNextPage(browser.findElement(By.id("restore-button")));
        // On a failed request the page says why (flash-error): show it instead of only the URL.
        assertThat(browser.getCurrentUrl())
                .as(() -> browser.findElements(By.id("flash-error")).stream().map(WebElement::getText).findFirst().orElse("no flash-error"))
                .endsWith("/restores");
        assertThat(browser.findElement(By.id("flash-message")).getText()).contains("requested");
        WebElement row = browser.findElements(By.cssSelector("#restores tr.restore-row")).stream()
                .filter(r -> r.getText().contains(wanted)).findFirst().orElseThrow();
        assertThat(row.getText()).contains(target.hostId()).contains(operator).contains("REQUESTED");
        assertThat(jdbc.sql("SELECT count(*) FROM restore_requests WHERE image_id = ? AND target_host_id = ? AND requested_by = ?")
                .params(wanted, target.hostId(), operator).query(Long.class).single()).isOne();
    }

    @Test
    void dashboardDrawsItsChartsFromTheWebJar() {
        logInAs("admin", "admin-password-for-tests"); // the login's answer arrives before the dashboard is asked for
        browser.get(url("/"));
        // ECharts renders into a canvas on init, from a deferred script: on a loaded machine seconds
        // after the page has loaded. No canvas within the wait means the script did not load.
        for (String chart : List.of("#bytes-chart", "#hosts-chart", "#per-day-chart")) {
            List<WebElement> drawn = new WebDriverWait(browser, Duration.ofSeconds(30)).until(b -> {
                List<WebElement> c = b.findElements(By.cssSelector(chart + " canvas"));
                return c.isEmpty() ? null : c;
            });
            assertThat(drawn).as(chart).isNotEmpty();
        }
    }

    void logInAs(String username, String password) {
        browser.get(url("/login"));
        browser.findElement(By.id("username")).sendKeys(username);
        browser.findElement(By.id("password")).sendKeys(password);
        clickAndWaitForNextPage(browser.findElement(By.id("login")));
    }

    /** Console messages since the last call that say the Content-Security-Policy refused something. */
    static List<String> policyViolations() {
        return browser.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER).getAll().stream()
                .map(org.openqa.selenium.logging.LogEntry::getMessage)
                .filter(m -> m.contains("Content Security Policy") || m.contains("Content-Security-Policy"))
                .toList();
    }

    @Test
    void theAuditPageKeepsItsLayoutAfterALoginWithATwoThousandCharacterName() {
        browser.get(url("/login"));
        WebElement name = browser.findElement(By.id("username"));
        ((JavascriptExecutor) browser).executeScript("arguments[0].value = 'q'.repeat(2000)", name);
        browser.findElement(By.id("password")).sendKeys("whatever");
        clickAndWaitForNextPage(browser.findElement(By.id("login")));
        assertThat(browser.getCurrentUrl()).endsWith("/login?error");

        logInAs("admin", "admin-password-for-tests");
        browser.get(url("/audit?action=user.login-failed"));
        WebElement row = browser.findElements(By.cssSelector("#audit tbody tr")).stream()
                .filter(r -> r.getText().contains("qqqq")).findFirst().orElseThrow();
        assertThat(row.getText()).contains("(2000 characters)").doesNotContain("q".repeat(65));
        JavascriptExecutor js = (JavascriptExecutor) browser;
        long pageWidth = ((Number) js.executeScript("return document.documentElement.scrollWidth")).longValue();
        long viewport = ((Number) js.executeScript("return document.documentElement.clientWidth")).longValue();
        assertThat(pageWidth).as("the page is no wider than the window").isLessThanOrEqualTo(viewport);
    }

    @Test
    void everyPageWorksUnderTheContentSecurityPolicy() throws Exception {
        var agent = fx.host("csp");
        String image = fx.image(agent, "csp-job");
        logInAs("admin", "admin-password-for-tests");
        policyViolations();
        for (String page : List.of("/", "/images", "/images/" + image, "/restores", "/hosts", "/schedules", "/retention",
                "/quotas", "/audit", "/users")) {
            browser.get(url(page));
            assertThat(policyViolations()).as(page).isEmpty();
        }
        // The dashboard's charts still draw (their data is a JSON block now, not an inline script).
        browser.get(url("/"));
        // The chart is drawn by a deferred script after the page has loaded: wait for it, a loaded
        // machine can take seconds.
        List<WebElement> canvases = new WebDriverWait(browser, Duration.ofSeconds(30)).until(b -> {
            List<WebElement> drawn = b.findElements(By.cssSelector("#bytes-chart canvas"));
            return drawn.isEmpty() ? null : drawn;
        });
        assertThat(canvases).isNotEmpty();
        // Handlers that were inline: choosing a state submits the filter; deleting asks first.
        browser.get(url("/restores"));
        WebElement state = browser.findElement(By.name("state"));
        WebElement page = browser.findElement(By.tagName("html"));
        new Select(state).selectByValue("FAILED");
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(replaced(page));
        assertThat(browser.getCurrentUrl()).contains("state=FAILED");
        browser.get(url("/images/" + image));
        browser.findElement(By.cssSelector("form[data-confirm] button")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.alertIsPresent()).dismiss();
        assertThat(jdbc.sql("SELECT state FROM images WHERE id = ?").param(image).query(String.class).single()).isEqualTo("COMPLETE");
        WebElement imagePage = browser.findElement(By.tagName("html"));
        browser.findElement(By.cssSelector("form[data-confirm] button")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.alertIsPresent()).accept();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(replaced(imagePage));
        assertThat(jdbc.sql("SELECT state FROM images WHERE id = ?").param(image).query(String.class).single()).isEqualTo("DELETED");
        assertThat(policyViolations()).isEmpty();
    }

    /**
     * Issue 15 in the browser, as an administrator: a policy made with the form, its preview (what
     * would go and the bytes that frees, nothing changed), forgetting after the confirmation, a quota
     * set with the form and drawn (bar and chart), and the audit chain verified; the
     * Content-Security-Policy refuses nothing on the way.
     */
    @Test
    void anAdministratorPreviewsAndForgetsSetsAQuotaAndVerifiesTheAuditChain() throws Exception {
        var agent = fx.host("browser-ret");
        String job = Fixtures.unique("ret-job");
        Instant t = Instant.parse("2026-08-01T00:00:00Z");
        long base = 9_000_000_000L + (System.nanoTime() % 1_000_000) * 10;
        String old = fx.register(agent, fx.registration(agent, job, t, null, base, 2));
        String last = fx.register(agent, fx.registration(agent, job, t.plusSeconds(60), null, base + 10, 2));
        long jobId = jdbc.sql("SELECT job_id FROM images WHERE id = ?").param(old).query(Long.class).single();
        logInAs("admin", "admin-password-for-tests");
        policyViolations();

        browser.get(url("/retention"));
        browser.findElement(By.name("name")).sendKeys(Fixtures.unique("keep-one"));
        new Select(browser.findElement(By.name("jobId"))).selectByValue(String.valueOf(jobId));
        for (String field : List.of("keepLast", "keepDaily")) browser.findElement(By.name(field)).clear();
        browser.findElement(By.name("keepLast")).sendKeys("1");
        browser.findElement(By.name("keepDaily")).sendKeys("0");
        clickAndWaitForNextPage(browser.findElement(By.id("create-policy")));
        assertThat(browser.findElement(By.tagName("body")).getText()).contains("keeps last 1");

        String forget = "/retention/jobs/" + jobId + "/forget";
        clickAndWaitForNextPage(browser.findElement(By.cssSelector("form[action$='" + forget + "?dryRun=true'] button")));
        assertThat(browser.findElement(By.id("outcome-freed")).getText()).isEqualTo("31.3 KiB");
        assertThat(browser.findElements(By.cssSelector("#outcome-images tbody tr"))).extracting(WebElement::getText)
                .anySatisfy(r -> assertThat(r).contains(old).contains("would expire"))
                .anySatisfy(r -> assertThat(r).contains(last).contains("kept"));
        assertThat(state(old)).isEqualTo("COMPLETE");

        WebElement page = browser.findElement(By.tagName("html"));
        browser.findElement(By.cssSelector("form[action$='" + forget + "'] button")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.alertIsPresent()).accept();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(replaced(page));
        assertThat(state(old)).isEqualTo("EXPIRED");
        assertThat(state(last)).isEqualTo("COMPLETE");

        browser.get(url("/quotas"));
        new Select(browser.findElement(By.name("subject"))).selectByValue("job:" + jobId);
        WebElement limit = browser.findElement(By.name("limit"));
        limit.clear();
        limit.sendKeys("0.05"); // MiB: 52,428 bytes against the 32,000 the kept image stores
        new Select(browser.findElement(By.name("unit"))).selectByVisibleText("MiB"); // options without a value attribute
        clickAndWaitForNextPage(browser.findElement(By.id("set-quota")));
        WebElement bar = browser.findElements(By.cssSelector("#quotas tbody tr")).stream()
                .filter(r -> r.getText().contains(job)).findFirst().orElseThrow().findElement(By.cssSelector(".bar"));
        assertThat(bar.getText()).isEqualTo("61 %");
        assertThat(((JavascriptExecutor) browser).executeScript(
                "return getComputedStyle(arguments[0]).getPropertyValue('--used').trim()", bar)).isEqualTo("61%");
        assertThat(browser.findElements(By.cssSelector("#quota-chart canvas"))).isNotEmpty();

        browser.get(url("/audit"));
        clickAndWaitForNextPage(browser.findElement(By.id("verify-chain")));
        assertThat(browser.findElement(By.id("chain-state")).getText()).isEqualTo("Intact");
        assertThat(policyViolations()).isEmpty();
    }

    private String state(String image) {
        return jdbc.sql("SELECT state FROM images WHERE id = ?").param(image).query(String.class).single();
    }
}
