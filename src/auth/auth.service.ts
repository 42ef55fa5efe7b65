import { randomUUID } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import { BadUserInputError, InvalidCredentialsError } from '../common/errors';
import type { AttemptLimiter } from '../common/rate-limit';
import type { SessionEntity } from '../sessions/session.entity';
import type { ClientInfo, SessionService } from '../sessions/session.service';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from './passwords';
import { UserEntity } from './user.entity';

export interface SignedIn {
  token: string;
  user: UserEntity;
  session: SessionEntity;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Registration and sign-in: proving who someone is, then opening a session for them. */
export class AuthService {
  private readonly users: Repository<UserEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: SessionService,
    private readonly failedLogins: { perEmail: AttemptLimiter; perIp: AttemptLimiter },
  ) {
    this.users = dataSource.getRepository(UserEntity);
  }

  async register(email: string, password: string, client: ClientInfo): Promise<SignedIn> {
    const normalized = normalizeEmail(email);
    if (await this.users.existsBy({ email: normalized })) {
      throw new BadUserInputError('An account with this email already exists. Sign in instead.', 'email');
    }
    const now = new Date();
    const user = this.users.create({
      id: randomUUID(),
      email: normalized,
      passwordHash: await hashPassword(password),
      createdAt: now,
      passwordChangedAt: now,
    });
    try {
      await this.users.insert(user);
    } catch (err) {
      // Two registrations raced for the same address; the unique index decided.
      if (await this.users.existsBy({ email: normalized })) {
        throw new BadUserInputError('An account with this email already exists. Sign in instead.', 'email');
      }
      throw err;
    }
    const { token, session } = await this.sessions.open(user.id, client, now);
    return { token, user, session };
  }

  /**
   * Same answer and similar time for an unknown email and a wrong password. Failures count per
   * address and per IP, across instances.
   */
  async login(email: string, password: string, client: ClientInfo): Promise<SignedIn> {
    const normalized = normalizeEmail(email);
    const { perEmail, perIp } = this.failedLogins;
    await Promise.all([perEmail.assertAllowed(normalized), perIp.assertAllowed(client.ipAddress)]);
    const user = await this.users.findOneBy({ email: normalized });
    const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDecoy(password);
    if (!user || !valid) {
      await Promise.all([perEmail.recordFailure(normalized), perIp.recordFailure(client.ipAddress)]);
      throw new InvalidCredentialsError();
    }
    await perEmail.reset(normalized);
    const { token, session } = await this.sessions.open(user.id, client);
    return { token, user, session };
  }

  findUser(userId: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id: userId });
  }
}
