// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.web;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.PipelineFixtures;
import io.cryostash.catalog.PipelineFixtures.TestAgent;
import io.cryostash.catalog.PipelineTest;
import io.cryostash.catalog.user.Role;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.event.RestoreStatus;
import io.cryostash.schema.event.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
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

import static io.cryostash.catalog.PipelineFixtures.await;
import static io.cryostash.catalog.PipelineFixtures.consumer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A person in headless Chromium with the pipeline running: creates a job by host and pid and asks
 * for a snapshot now (the request reaches the host's topic), asks for a restore and watches its
 * state change live as the target's agent reports, and finds a refused event on the dead-letter page.
 */
@PipelineTest
class PipelineBrowserTests {

    static WebDriver browser;
    static Path profile;

    @LocalServerPort int port;
    @Autowired Fixtures fx;
    @Autowired PipelineFixtures pf;
    @Autowired JdbcClient jdbc;

    @BeforeAll
    static void startBrowser() throws Exception {
        profile = Files.createTempDirectory("cryostash-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1400,1000", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
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

    String url(String path) {
        return "http://localhost:" + port + path;
    }

    void logInAs(String name) {
        browser.get(url("/login"));
        browser.manage().deleteAllCookies();
        browser.get(url("/login"));
        browser.findElement(By.id("username")).sendKeys(name);
        browser.findElement(By.id("password")).sendKeys(name + "-password");
        clickAndWaitForNextPage(browser.findElement(By.id("login")));
    }

    /** Clicks and waits until the page it was on is gone (as {@link BrowserTests} does). */
    static void clickAndWaitForNextPage(WebElement element) {
        WebElement page = browser.findElement(By.tagName("html"));
        element.click();
        waiting().until(BrowserTests.replaced(page));
    }

    static WebDriverWait waiting() {
        return new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    @Test
    void operatorCreatesAJobAsksForASnapshotWatchesARestoreAndSeesTheDeadLetters() throws Exception {
        TestAgent source = pf.enrol("web-src");
        TestAgent target = pf.enrol("web-dst");
        logInAs(fx.user(Role.OPERATOR));

        // A job by host and pid, then "Snapshot now".
        String job = Fixtures.unique("ocean");
        browser.get(url("/jobs"));
        new Select(browser.findElement(By.id("job-host"))).selectByValue(source.hostId());
        browser.findElement(By.id("job-name")).sendKeys(job);
        browser.findElement(By.id("job-pid")).sendKeys("2718");
        try (var topic = consumer(Topics.SNAPSHOT_REQUESTED)) {
            clickAndWaitForNextPage(browser.findElement(By.id("create-job")));
            WebElement row = browser.findElements(By.cssSelector("#jobs tr.job-row")).stream()
                    .filter(r -> r.getText().contains(job)).findFirst().orElseThrow();
            assertThat(row.getText()).contains(source.hostId()).contains("2718").contains("ACTIVE");
            clickAndWaitForNextPage(row.findElement(By.cssSelector("button.snapshot-now")));
            assertThat(browser.findElement(By.id("flash-message")).getText()).contains("Snapshot requested");
            var r = await(topic, Duration.ofSeconds(30), rec -> PipelineFixtures.text(rec.value()).contains(job));
            assertThat(r.key()).isEqualTo(source.hostId());
            var asked = new io.cryostash.schema.event.EventCodec().decode(r.value(), io.cryostash.schema.event.SnapshotRequested.class);
            assertThat(asked.pid()).isEqualTo(2718);
            assertThat(asked.job()).isEqualTo(job);
        }

        // A real image of the source, restored on the target: the list follows the target's reports.
        String image = PipelineFixtures.writeImage(source, 2718, "ocean", 4, null);
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, source, new CheckpointCompleted(1, null, source.hostId(),
                job, null, image, "manifests/" + image, null, Instant.now(), 1, 1, null), source.keys());
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql("SELECT count(*) FROM images WHERE id = ?").param(image)
                .query(Long.class).single() == 1);
        browser.get(url("/images/" + image));
        new Select(browser.findElement(By.id("restore-host"))).selectByValue(target.hostId());
        clickAndWaitForNextPage(browser.findElement(By.id("restore-button")));
        WebElement restore = browser.findElements(By.cssSelector("#restores tr.restore-row")).stream()
                .filter(r -> r.getText().contains(image)).findFirst().orElseThrow();
        UUID id = UUID.fromString(restore.getDomAttribute("data-id"));
        WebElement state = restore.findElement(By.cssSelector("[data-field=state]"));
        assertThat(state.getText()).isEqualTo("REQUESTED");
        pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, target,
                new RestoreStatus(1, id, target.hostId(), "RUNNING", null, null, Instant.now()), target.keys());
        waiting().until(ExpectedConditions.textToBePresentInElement(state, "RUNNING"));
        pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, target,
                new RestoreStatus(1, id, target.hostId(), "COMPLETED", 9898, null, Instant.now()), target.keys());
        waiting().until(ExpectedConditions.textToBePresentInElement(state, "COMPLETED"));
        assertThat(restore.findElement(By.cssSelector("[data-field=detail]")).getText()).isEqualTo("pid 9898");

        // An unsigned report is refused, and listed with its reason.
        pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, target,
                new RestoreStatus(1, id, target.hostId(), "FAILED", null, "forged", Instant.now()), null);
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql("SELECT count(*) FROM dead_letters WHERE message_key = ?")
                .param(target.hostId()).query(Long.class).single() == 1);
        browser.get(url("/dead-letters"));
        WebElement letter = browser.findElements(By.cssSelector("#dead-letters tr.dead-letter-row")).stream()
                .filter(r -> r.getText().contains(target.hostId())).findFirst().orElseThrow();
        assertThat(letter.getText()).contains(Topics.RESTORE_STATUS).contains(RestoreStatus.TYPE)
                .contains("unsigned message from host " + target.hostId()).contains("cryostash-catalog");
        assertThat(jdbc.sql("SELECT state FROM restore_requests WHERE id = ?").param(id).query(String.class).single())
                .isEqualTo("COMPLETED");
    }
}
