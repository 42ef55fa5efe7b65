import { randomUUID } from 'node:crypto';
import { IsNull, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { hashToken } from '../common/secrets';
import { OneTimeTokenEntity, OneTimeTokenPurpose } from './one-time-token.entity';

export interface IssueOptions {
  sessionId?: string | null;
  ttlSeconds: number | null;
  /** Spend the user's earlier unused secrets of this purpose (and session): only the newest works. */
  replacePrevious?: boolean;
}

/** Lookup scope of a secret: codes are short, so they are only searched among one user's. */
export interface SpendScope {
  userId?: string;
  sessionId?: string;
}

/**
 * Single-use secrets (emailed codes, reset and report links, recovery codes): stored hashed,
 * spent at most once even when two requests race (the spend is a conditional update).
 */
export class OneTimeTokens {
  private readonly tokens: Repository<OneTimeTokenEntity>;

  constructor(dataSource: DataSource) {
    this.tokens = dataSource.getRepository(OneTimeTokenEntity);
  }

  async issue(userId: string, purpose: OneTimeTokenPurpose, secret: string, options: IssueOptions, manager?: EntityManager): Promise<void> {
    const repository = manager ? manager.getRepository(OneTimeTokenEntity) : this.tokens;
    const now = new Date();
    if (options.replacePrevious) {
      await repository.update({ userId, purpose, usedAt: IsNull(), ...(options.sessionId ? { sessionId: options.sessionId } : {}) }, { usedAt: now });
    }
    await repository.insert({
      id: randomUUID(),
      userId,
      purpose,
      tokenHash: hashSecret(purpose, userId, secret),
      sessionId: options.sessionId ?? null,
      createdAt: now,
      expiresAt: options.ttlSeconds === null ? null : new Date(now.getTime() + options.ttlSeconds * 1000),
      usedAt: null,
    });
  }

  /**
   * Spends a secret: returns its row when it was valid and unused, null otherwise.
   * Long link tokens are found by hash alone; codes need the `userId` they were issued to.
   */
  async spend(purpose: OneTimeTokenPurpose, secret: string, scope: SpendScope = {}, manager?: EntityManager): Promise<OneTimeTokenEntity | null> {
    const repository = manager ? manager.getRepository(OneTimeTokenEntity) : this.tokens;
    const candidate = await this.peek(purpose, secret, scope, manager);
    if (!candidate) return null;
    const now = new Date();
    const spent = await repository.update({ id: candidate.id, usedAt: IsNull() }, { usedAt: now });
    if (!spent.affected) return null; // another request spent it first
    candidate.usedAt = now;
    return candidate;
  }

  /** The valid, unused secret without spending it, or null. */
  async peek(purpose: OneTimeTokenPurpose, secret: string, scope: SpendScope = {}, manager?: EntityManager): Promise<OneTimeTokenEntity | null> {
    const repository = manager ? manager.getRepository(OneTimeTokenEntity) : this.tokens;
    const candidate = await repository.findOne({
      where: {
        purpose,
        tokenHash: hashSecret(purpose, scope.userId ?? null, secret),
        usedAt: IsNull(),
        ...(scope.userId ? { userId: scope.userId } : {}),
        ...(scope.sessionId ? { sessionId: scope.sessionId } : {}),
      },
    });
    if (!candidate || (candidate.expiresAt && candidate.expiresAt <= new Date())) return null;
    return candidate;
  }

  /** Spends every unused secret of this purpose for the user (e.g. old reset links after a reset). */
  async revokeAll(userId: string, purpose: OneTimeTokenPurpose, manager?: EntityManager): Promise<void> {
    const repository = manager ? manager.getRepository(OneTimeTokenEntity) : this.tokens;
    await repository.update({ userId, purpose, usedAt: IsNull() }, { usedAt: new Date() });
  }
}

/**
 * Link tokens carry 256 random bits, so their hash alone is a safe index. Codes are short:
 * they are hashed with the user id so equal codes of two users never collide and a leaked
 * table cannot be matched against one precomputed list of all codes.
 */
function hashSecret(purpose: OneTimeTokenPurpose, userId: string | null, secret: string): string {
  const isLinkToken = purpose === OneTimeTokenPurpose.PASSWORD_RESET || purpose === OneTimeTokenPurpose.UNRECOGNIZED_SIGN_IN || purpose === OneTimeTokenPurpose.EMAIL_VERIFICATION;
  return hashToken(isLinkToken ? secret : `${userId}:${secret}`);
}
