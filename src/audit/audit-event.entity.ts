import { Column, Entity, PrimaryColumn } from 'typeorm';
import { PlaceColumns } from '../devices/place.columns';

export enum AuditEventType {
  LOGIN = 'LOGIN',
  LOGIN_FAILED = 'LOGIN_FAILED',
  LOGOUT = 'LOGOUT',
  SESSION_REVOKED = 'SESSION_REVOKED',
  OTHER_SESSIONS_REVOKED = 'OTHER_SESSIONS_REVOKED',
  PASSWORD_CHANGED = 'PASSWORD_CHANGED',
  PASSWORD_RESET = 'PASSWORD_RESET',
  TWO_FACTOR_ENABLED = 'TWO_FACTOR_ENABLED',
  TWO_FACTOR_DISABLED = 'TWO_FACTOR_DISABLED',
  UNRECOGNIZED_SESSION_REPORTED = 'UNRECOGNIZED_SESSION_REPORTED',
  /** Beyond the contract: a session reached its expiresAt and was ended. */
  SESSION_EXPIRED = 'SESSION_EXPIRED',
  /** Beyond the contract: a wrong password, code or recovery code was given to confirm an action. */
  CONFIRMATION_FAILED = 'CONFIRMATION_FAILED',
  /** Beyond the contract: the owner of the address proved the mailbox and took the address from this unverified account. */
  ACCOUNT_RECLAIMED = 'ACCOUNT_RECLAIMED',
  /** Beyond the contract: a service client with the `admin` scope ended sessions of this account. */
  ADMIN_SESSIONS_REVOKED = 'ADMIN_SESSIONS_REVOKED',
  /** Beyond the contract: a service client with the `admin` scope looked the account or its sessions up. */
  ADMIN_ACCOUNT_VIEWED = 'ADMIN_ACCOUNT_VIEWED',
}

/** One line of an account's security history. Rows are only ever inserted (a database trigger refuses the rest). */
@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ type: 'varchar', length: 40 })
  type!: AuditEventType;

  @Column()
  at!: Date;

  @Column({ name: 'actor_session_id', type: 'varchar', length: 36, nullable: true })
  actorSessionId!: string | null;

  @Column({ name: 'ip_address', type: 'varchar', length: 45 })
  ipAddress!: string;

  @Column(() => PlaceColumns, { prefix: false })
  place!: PlaceColumns;

  @Column({ name: 'device_label', type: 'varchar', length: 255 })
  deviceLabel!: string;

  /** The service client that acted (admin actions); null for the account's own sessions. */
  @Column({ name: 'actor_client_id', type: 'varchar', length: 64, nullable: true })
  actorClientId!: string | null;

  @Column({ name: 'target_session_ids', type: 'simple-array' })
  targetSessionIds!: string[];
}
