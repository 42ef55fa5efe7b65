import { Column, Entity, PrimaryColumn } from 'typeorm';
import { PlaceColumns } from '../devices/place.columns';
import { DeviceType } from '../devices/device';

export enum TerminationReason {
  LOGOUT = 'LOGOUT',
  REVOKED = 'REVOKED',
  SIGNED_OUT_EVERYWHERE = 'SIGNED_OUT_EVERYWHERE',
  PASSWORD_CHANGED = 'PASSWORD_CHANGED',
  PASSWORD_RESET = 'PASSWORD_RESET',
  REPORTED_UNRECOGNIZED = 'REPORTED_UNRECOGNIZED',
  EXPIRED = 'EXPIRED',
  /** The owner of the address proved the mailbox and took it from this unverified account. */
  ACCOUNT_RECLAIMED = 'ACCOUNT_RECLAIMED',
  /** Ended by the app's support staff, through a service client with the `admin` scope. */
  ADMIN_REVOKED = 'ADMIN_REVOKED',
}

export enum SessionFlag {
  NEW_DEVICE = 'NEW_DEVICE',
  NEW_LOCATION = 'NEW_LOCATION',
}

/**
 * One row per sign-in. Ending a session marks the row (revokedAt, reason, by whom) instead of
 * deleting it, so the audit trail can always name the device that did something.
 */
@Entity({ name: 'sessions' })
export class SessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  /** SHA-256 of the bearer token, hex; the token itself is never stored. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash!: string;

  @Column({ name: 'user_agent', type: 'varchar', length: 512 })
  userAgent!: string;

  @Column({ name: 'device_type', type: 'varchar', length: 16 })
  deviceType!: DeviceType;

  @Column({ name: 'device_os', type: 'varchar', length: 128, nullable: true })
  deviceOs!: string | null;

  @Column({ name: 'device_browser', type: 'varchar', length: 128, nullable: true })
  deviceBrowser!: string | null;

  @Column({ name: 'device_model', type: 'varchar', length: 128, nullable: true })
  deviceModel!: string | null;

  @Column({ name: 'device_label', type: 'varchar', length: 255 })
  deviceLabel!: string;

  /** What the app declared at sign-in (`device` input): attacker-controlled like the User-Agent. */
  @Column({ name: 'device_name', type: 'varchar', length: 64, nullable: true })
  deviceName!: string | null;

  @Column({ name: 'device_platform', type: 'varchar', length: 32, nullable: true })
  devicePlatform!: string | null;

  @Column({ name: 'device_app_version', type: 'varchar', length: 32, nullable: true })
  deviceAppVersion!: string | null;

  @Column({ name: 'ip_address', type: 'varchar', length: 45 })
  ipAddress!: string;

  @Column(() => PlaceColumns, { prefix: false })
  place!: PlaceColumns;

  @Column({ type: 'simple-array' })
  flags!: SessionFlag[];

  @Column({ name: 'created_at' })
  createdAt!: Date;

  @Column({ name: 'last_active_at' })
  lastActiveAt!: Date;

  @Column({ name: 'expires_at' })
  expiresAt!: Date;

  /** Last time this session proved who is holding it (sign-in or step-up confirmation). */
  @Column({ name: 'confirmed_at' })
  confirmedAt!: Date;

  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoke_reason', type: 'varchar', length: 32, nullable: true })
  revokeReason!: TerminationReason | null;

  @Column({ name: 'revoked_by_session_id', type: 'varchar', length: 36, nullable: true })
  revokedBySessionId!: string | null;
}
