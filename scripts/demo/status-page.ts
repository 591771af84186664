/**
 * Checks that the status page of the running autopilot answers (config `http:`; runtime/http/): `/healthz` and the
 * page itself, so that the URL the demo prints is one that works.
 *
 * @module
 */

/**
 * What the probe saw.
 *
 * @example
 * ```ts
 * const seen: StatusPageProbe = { ok: true, health: 'ok', healthStatus: 200 };
 * ```
 */
export type StatusPageProbe =
  | { readonly ok: true; readonly health: string; readonly healthStatus: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Polls `<url>healthz` until it answers, then loads the page; bounded by `timeoutMs` (the server starts right after
 * the autopilot, so it may not listen yet at the first try).
 *
 * @example
 * ```ts
 * const probe = await probeStatusPage('http://127.0.0.1:8025/', 10_000);
 * if (probe.ok) console.log(`status page up, /healthz says ${probe.health}`);
 * ```
 */
export async function probeStatusPage(url: string, timeoutMs: number): Promise<StatusPageProbe> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() <= deadline) {
    try {
      const health = await fetch(new URL('healthz', url), { signal: AbortSignal.timeout(2_000) });
      const body = (await health.json()) as { status?: unknown };
      const page = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await page.arrayBuffer();
      if (!page.ok) return { ok: false, reason: `${url} answered HTTP ${page.status}` };
      return { ok: true, health: String(body.status), healthStatus: health.status };
    } catch (error) {
      last = (error as Error).cause ? String((error as Error).cause) : (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { ok: false, reason: `${url} did not answer within ${timeoutMs / 1000} s (${last})` };
}
