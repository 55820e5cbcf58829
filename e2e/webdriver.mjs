// A small WebDriver (W3C) client over fetch: enough to drive the real desktop app through
// tauri-driver and WebKitWebDriver. No dependencies.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** A free loopback port, so two runs on one machine never share a driver. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export class Driver {
  constructor(base, session, shots) {
    this.base = base;
    this.session = session;
    this.shots = shots;
    this.step = 0;
  }

  static async start({ application, args, shots }) {
    const port = await freePort();
    const nativePort = await freePort();
    // Its own process group: WebKitWebDriver and the app it launches go with it on stop, so no
    // window (and no open connection to the app's sandbox) outlives a test file.
    const driver = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${base}/status`);
        break;
      } catch {
        await sleep(100);
      }
    }
    // The session launches the app: timings of "launch to first screen" start here.
    const launchedAt = Date.now();
    const res = await fetch(`${base}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application, args } } },
      }),
    });
    const body = await res.json();
    if (!body.value?.sessionId) throw new Error(`no session: ${JSON.stringify(body)}`);
    mkdirSync(shots, { recursive: true });
    const d = new Driver(base, body.value.sessionId, shots);
    d.process = driver;
    d.launchedAt = launchedAt;
    return d;
  }

  async call(method, path, body) {
    const res = await fetch(`${this.base}/session/${this.session}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (json.value && json.value.error) throw new Error(`${method} ${path}: ${json.value.error}: ${json.value.message}`);
    return json.value;
  }

  /** Waits for an element by test id and returns its WebDriver id. */
  async find(testId, timeoutMs = 10000) {
    const until = Date.now() + timeoutMs;
    let last;
    while (Date.now() < until) {
      try {
        const v = await this.call('POST', '/element', { using: 'css selector', value: `[data-testid="${testId}"]` });
        return v[ELEMENT];
      } catch (e) {
        last = e;
        await sleep(100);
      }
    }
    throw new Error(`no element ${testId}: ${last}`);
  }

  async click(testId) {
    const id = await this.find(testId);
    await this.script(`document.querySelector('[data-testid="' + arguments[0] + '"]').scrollIntoView({block: 'center'});`, [testId]);
    // A toast can sit over a button near the bottom of a page that cannot scroll it to the
    // middle, and WebKitWebDriver then clicks the toast. A person would reach the button: click
    // it directly when something else is on top of its centre.
    const covered = await this.script(
      `const el = document.querySelector('[data-testid="' + arguments[0] + '"]');
       const r = el.getBoundingClientRect();
       const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
       return !(top && (top === el || el.contains(top)));`,
      [testId],
    );
    if (covered) {
      await this.script(`document.querySelector('[data-testid="' + arguments[0] + '"]').click();`, [testId]);
      return;
    }
    try {
      await this.call('POST', `/element/${id}/click`, {});
    } catch (e) {
      // A sticky bar or a toast may sit over the element for a moment; a person would still
      // reach it, so click it directly.
      if (!String(e).includes('intercepted')) throw e;
      await this.script(`document.querySelector('[data-testid="' + arguments[0] + '"]').click();`, [testId]);
    }
  }

  /** Sets an input or select the way a person would, so React sees the change. */
  async fill(testId, value) {
    await this.find(testId);
    await this.script(
      `const el = document.querySelector('[data-testid="' + arguments[0] + '"]');
       const proto = el.tagName === 'SELECT' ? HTMLSelectElement.prototype : el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
       Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, arguments[1]);
       el.dispatchEvent(new Event('input', { bubbles: true }));
       el.dispatchEvent(new Event('change', { bubbles: true }));`,
      [testId, value],
    );
  }

  async text(testId) {
    const id = await this.find(testId);
    return this.call('GET', `/element/${id}/text`);
  }

  async attr(testId, name) {
    const id = await this.find(testId);
    return this.call('GET', `/element/${id}/attribute/${name}`);
  }

  async enabled(testId) {
    const id = await this.find(testId);
    return this.call('GET', `/element/${id}/enabled`);
  }

  /** Polls until `check()` holds (returns truthy), or fails with `what`. */
  /** Gets past the lock screen: sets a new data directory up (with `user` as its first admin),
   *  or opens an encrypted one and signs `user` in. */
  async unlock(passphrase, user, password, timeoutMs = 20000) {
    await this.find('lock-passphrase', timeoutMs);
    await this.fill('lock-passphrase', passphrase);
    if (await this.script(`return !!document.querySelector('[data-testid="lock-passphrase-again"]');`)) {
      await this.fill('lock-passphrase-again', passphrase);
    }
    await this.fill('lock-user', user);
    await this.fill('lock-password', password);
    await this.click('lock-submit');
  }

  async until(what, check, timeoutMs = 10000) {
    const until = Date.now() + timeoutMs;
    let last;
    while (Date.now() < until) {
      try {
        const v = await check();
        if (v) return v;
        last = v;
      } catch (e) {
        last = e;
      }
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}: ${last}`);
  }

  async script(source, args = []) {
    return this.call('POST', '/execute/sync', { script: source, args });
  }

  /** Runs an async script: it gets its arguments and, last, a callback to call with the result. */
  async asyncScript(source, args = []) {
    return this.call('POST', '/execute/async', { script: source, args });
  }

  async go(hash) {
    await this.script(`window.location.hash = arguments[0];`, [hash]);
  }

  /**
   * Saves a screenshot of the window. WebKit answers WebDriver's screenshot after the page's next
   * paint. Drawn without GPU compositing (the app's default on Linux, see src-tauri), a page with
   * nothing to repaint made each screenshot wait about 0.6 s, and now and then for ever (the
   * request then failed after five minutes as `fetch failed`). So while the screenshot is taken,
   * a one-pixel mark in the corner, all but transparent, changes on every frame.
   */
  async shot(name) {
    this.step += 1;
    await this.asyncScript(
      `const done = arguments[arguments.length - 1];
       const mark = document.createElement('div');
       mark.id = 'e2e-paint-mark';
       mark.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;opacity:0.01;background:#000;z-index:2147483647';
       document.body.appendChild(mark);
       let n = 0;
       const tick = () => {
         if (!mark.isConnected) return;
         mark.style.opacity = n++ % 2 ? '0.01' : '0.02';
         requestAnimationFrame(tick);
       };
       requestAnimationFrame(tick);
       requestAnimationFrame(() => done(true));`,
    );
    let png;
    try {
      png = await this.call('GET', '/screenshot');
    } finally {
      await this.script(`document.getElementById('e2e-paint-mark')?.remove();`);
    }
    const file = `${this.shots}/${String(this.step).padStart(2, '0')}-${name}.png`;
    writeFileSync(file, Buffer.from(png, 'base64'));
    return file;
  }

  async stop() {
    try {
      await fetch(`${this.base}/session/${this.session}`, { method: 'DELETE' });
    } finally {
      try {
        process.kill(-this.process.pid, 'SIGTERM');
      } catch {
        this.process.kill();
      }
    }
  }
}
