import type { Request, RequestHandler, Response } from 'express';

/** GET /healthz: the process is up. */
export function healthzRoute(): RequestHandler[] {
  return [
    function alive(_req: Request, res: Response): void {
      res.set('Cache-Control', 'no-store').json({ status: 'ok' });
    },
  ];
}

/** GET /readyz (spec §2.9): 200 only when every dependency is ready; 503 lists what is not. */
export function readyzRoute(checks: () => Promise<Record<string, boolean>>): RequestHandler[] {
  return [
    async function ready(_req: Request, res: Response): Promise<void> {
      const result = await checks();
      const ok = Object.values(result).every(Boolean);
      res.set('Cache-Control', 'no-store').status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks: result });
    },
  ];
}
