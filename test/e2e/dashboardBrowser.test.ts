import { existsSync } from "node:fs";
import test from "ava";
import { chromium } from "playwright-core";
import { Deployment } from "../helpers/deployment.js";
import { RedisServer } from "../helpers/redisServer.js";

const CHROMIUM = "/usr/bin/chromium";
// Debian's chromium: .ci/run installs it; on a machine without it this test is
// skipped (that is the reason), since no browser can be downloaded here.
const withBrowser = existsSync(CHROMIUM) ? test : test.skip;

const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

withBrowser("in a real browser: refused without a token, then logged in, a failed job shown and retried by clicking, the user active", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const mp = await Deployment.start(redis);
  t.teardown(() => mp.stop());
  const events = await mp.queueEvents();
  t.teardown(() => events.close());
  mp.executor!.failWith = { permanent: true, message: "root squash on the NFS export", times: 1 };
  await mp.request("POST", "/moneypenny/users", { body: { username: "pia", uid: 7000, groups: [] } });
  await mp.wait("pia");
  t.is((await mp.status("pia")).body["status"], "failed");

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: flags });
  t.teardown(() => browser.close());
  const page = await (await browser.newContext()).newPage();

  // Without a token: the login form, and the dashboard's API refuses.
  await page.goto(`${mp.api.url}/moneypenny/admin/queues/`);
  t.regex(page.url(), /\/moneypenny\/admin\/login$/);
  const refused = await page.evaluate(async () => (await fetch("/moneypenny/admin/queues/api/queues")).status);
  t.is(refused, 401);

  // Log in with the token; the dashboard shows the failed job.
  await page.fill('input[name="token"]', mp.token);
  await Promise.all([page.waitForURL(/\/moneypenny\/admin\/queues\/$/), page.click('button[type="submit"]')]);
  await page.goto(`${mp.api.url}/moneypenny/admin/queues/queue/orders?status=failed`);
  await page.getByText("commission-pia-1").waitFor();
  await page.getByText("root squash on the NFS export").first().waitFor();

  // Retry it by clicking: the job's first action button, then Confirm.
  const buttons = await page.locator("button").allInnerTexts();
  await page.locator("button").nth(buttons.indexOf("Clean all") + 1).click();
  // The job is back in the queue once bull-board's PUT has answered; then wait for it to finish.
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === "PUT" && r.url().endsWith("/api/queues/orders/commission-pia-1/retry")),
    page.getByRole("button", { name: "Confirm" }).click(),
  ]);
  await (await mp.queue.getJob("commission-pia-1"))!.waitUntilFinished(events);
  t.is((await mp.status("pia")).body["status"], "active");
});
