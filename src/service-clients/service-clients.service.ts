import { randomBytes, timingSafeEqual } from 'node:crypto';
import { LessThan, MoreThan, type DataSource, type Repository } from 'typeorm';
import { hashToken, newOpaqueToken } from '../common/secrets';
import type { DatabaseClock } from '../db/clock';
import { SERVICE_SCOPES, ServiceClientEntity, ServiceScope, ServiceTokenEntity } from './service-client.entity';

/** Service access tokens start with this; session tokens with `so_`: the prefix decides which check runs. */
const SERVICE_TOKEN_PREFIX = 'sc';
const SERVICE_TOKEN_SHAPE = /^sc_[A-Za-z0-9_-]{43}$/;
const CLIENT_ID_SHAPE = /^[A-Za-z0-9._-]{3,64}$/;

/** Who is calling, once its access token or credentials checked out. */
export interface ServicePrincipal {
  clientId: string;
  scopes: ServiceScope[];
}

export function isServiceToken(token: string | undefined): token is string {
  return !!token && token.startsWith(`${SERVICE_TOKEN_PREFIX}_`);
}

export function parseScopes(raw: string): ServiceScope[] {
  const scopes = raw.split(/[\s,]+/).filter(Boolean);
  const unknown = scopes.filter((scope) => !SERVICE_SCOPES.includes(scope as ServiceScope));
  if (unknown.length) throw new RangeError(`unknown scope(s): ${unknown.join(', ')} (known: ${SERVICE_SCOPES.join(', ')})`);
  return [...new Set(scopes)] as ServiceScope[];
}

/** Service clients, their credentials, and the access tokens of the client-credentials grant. */
export class ServiceClients {
  private readonly clients: Repository<ServiceClientEntity>;
  private readonly tokens: Repository<ServiceTokenEntity>;

  constructor(
    dataSource: DataSource,
    private readonly clock: DatabaseClock,
    private readonly tokenTtlSeconds: number,
  ) {
    this.clients = dataSource.getRepository(ServiceClientEntity);
    this.tokens = dataSource.getRepository(ServiceTokenEntity);
  }

  /** Creates a client; the secret is returned only here (stored as its SHA-256). */
  async create(input: { clientId?: string; name: string; scopes: ServiceScope[] }): Promise<{ clientId: string; clientSecret: string }> {
    const clientId = input.clientId ?? `svc_${randomBytes(9).toString('base64url')}`;
    if (!CLIENT_ID_SHAPE.test(clientId)) throw new RangeError('client id: 3 to 64 letters, digits, ".", "_" or "-"');
    if (input.scopes.length === 0) throw new RangeError('give at least one scope');
    const clientSecret = newOpaqueToken('scs');
    await this.clients.insert({
      clientId,
      name: input.name,
      secretHash: hashToken(clientSecret),
      scopes: input.scopes,
      createdAt: this.clock.now(),
      disabledAt: null,
    });
    return { clientId, clientSecret };
  }

  list(): Promise<ServiceClientEntity[]> {
    return this.clients.find({ order: { createdAt: 'ASC' } });
  }

  /** Disables the client and drops its access tokens at once. */
  async disable(clientId: string): Promise<boolean> {
    const result = await this.clients.update({ clientId }, { disabledAt: this.clock.now() });
    await this.tokens.delete({ clientId });
    return (result.affected ?? 0) > 0;
  }

  /** The client whose id and secret these are, if enabled; the secret is compared in constant time. */
  async verifyCredentials(clientId: string, clientSecret: string): Promise<ServicePrincipal | null> {
    const client = CLIENT_ID_SHAPE.test(clientId) ? await this.clients.findOneBy({ clientId }) : null;
    const given = Buffer.from(hashToken(clientSecret), 'hex');
    // Compared even for an unknown client, against a hash nothing matches, so timing tells nothing.
    const stored = Buffer.from(client?.secretHash ?? '0'.repeat(64), 'hex');
    const matches = timingSafeEqual(given, stored) && !!client;
    if (!matches || client.disabledAt) return null;
    return { clientId: client.clientId, scopes: client.scopes };
  }

  /** Client-credentials grant: a short-lived opaque access token for `requested` scopes (all of the client's when empty). */
  async issueToken(principal: ServicePrincipal, requested: ServiceScope[]): Promise<{ accessToken: string; expiresIn: number; scopes: ServiceScope[] } | null> {
    const scopes = requested.length ? requested : principal.scopes;
    if (scopes.some((scope) => !principal.scopes.includes(scope))) return null;
    const now = this.clock.now();
    const accessToken = newOpaqueToken(SERVICE_TOKEN_PREFIX);
    await this.tokens.insert({
      tokenHash: hashToken(accessToken),
      clientId: principal.clientId,
      scopes,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.tokenTtlSeconds * 1000),
    });
    // Expired tokens are useless; removing them here keeps the table small without a job of its own.
    await this.tokens.delete({ expiresAt: LessThan(new Date(now.getTime() - 3600_000)) });
    return { accessToken, expiresIn: this.tokenTtlSeconds, scopes };
  }

  /** The check for service access tokens (`sc_...`): unexpired, and its client still enabled. */
  async authenticate(token: string | undefined): Promise<ServicePrincipal | null> {
    if (!token || !SERVICE_TOKEN_SHAPE.test(token)) return null;
    const row = await this.tokens.findOneBy({ tokenHash: hashToken(token), expiresAt: MoreThan(this.clock.now()) });
    if (!row) return null;
    const client = await this.clients.findOneBy({ clientId: row.clientId });
    if (!client || client.disabledAt) return null;
    return { clientId: row.clientId, scopes: row.scopes };
  }
}
