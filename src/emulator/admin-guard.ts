// What stands in front of the emulators' own control endpoints (the embedded receiver's /admin API, the tenant's
// /emulator/* endpoints): a bearer token generated at start (or given), a Host header that names loopback (a web
// page whose DNS name was rebound to 127.0.0.1 sends its own name), and small request bodies.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Largest JSON body an admin endpoint accepts. */
export const ADMIN_BODY_LIMIT = 64 * 1024;

/** A fresh admin token: 256 random bits, URL-safe. */
export function newAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True when the Host header names a loopback address with the port the server listens on. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.toLowerCase());
  if (!match || !LOOPBACK_HOSTS.has(match[1]!)) return false;
  return match[2] === undefined ? port === 80 : Number(match[2]) === port;
}

/** True when the Authorization header carries `Bearer <token>` (compared in constant time). */
export function hasAdminToken(authorization: string | undefined, token: string): boolean {
  const given = Buffer.from(authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Refuses, before routing, any request whose Host is not loopback (421) and any request under one of
 * `adminPrefixes` without the token (401). `refuse` writes the answer in the server's own error format.
 */
export function guardAdmin(
  app: FastifyInstance,
  token: string,
  adminPrefixes: readonly string[],
  refuse: (reply: FastifyReply, status: number, detail: string) => unknown,
): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const port = (app.server.address() as { port?: number } | null)?.port ?? 0;
    if (!isLoopbackHost(request.headers.host, port)) {
      return refuse(
        reply,
        421,
        `the Host header must name this loopback server (127.0.0.1:${port} or localhost:${port})`,
      );
    }
    const path = request.url.split('?')[0]!;
    if (!adminPrefixes.some((p) => path === p || path.startsWith(`${p}/`))) return;
    if (!hasAdminToken(request.headers.authorization, token)) {
      return refuse(
        reply,
        401,
        `${path} needs "Authorization: Bearer <admin token>" (printed as adminToken in the ready line)`,
      );
    }
  });
}
