import { Agent, request } from 'node:http';

const CHECK = JSON.stringify({ query: '{ session(id: "-") { id } }' });
const LOGOUT = JSON.stringify({ query: 'mutation { logout }' });

type Body = { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };

/**
 * Token checks over real HTTP on kept-alive connections, for tests that make thousands of them:
 * `session(id: "-")` needs a signed-in caller and nothing else (a malformed id reads nothing).
 */
export class TokenChecks {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  /** True when the instance accepted the token, false when it answered UNAUTHENTICATED. */
  async accepted(url: string, token: string, onSent?: () => void): Promise<boolean> {
    const body = await this.post(url, CHECK, token, onSent);
    if (!body.errors) return true;
    if (body.errors[0]?.extensions?.code === 'UNAUTHENTICATED') return false;
    throw new Error(`unexpected answer: ${JSON.stringify(body.errors)}`);
  }

  async logout(url: string, token: string): Promise<void> {
    const body = await this.post(url, LOGOUT, token);
    if (body.errors) throw new Error(`logout failed: ${JSON.stringify(body.errors)}`);
  }

  close(): void {
    this.agent.destroy();
  }

  /** A kept-alive socket the server has just closed fails the request: sent again once on a fresh one. */
  /** `onSent` is called once the request is written to the socket (the server may not have read it). */
  private post(url: string, body: string, token: string, onSent?: () => void, retried = false): Promise<Body> {
    return new Promise<Body>((resolve, reject) => {
      const req = request(url, { method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body);
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET') resolve(this.post(url, body, token, onSent, true));
        else reject(err);
      });
      req.end(body, () => onSent?.());
    });
  }
}
