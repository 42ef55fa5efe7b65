import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum OneTimeTokenPurpose {
  /** 6-digit code emailed by requestConfirmationCode, bound to the session that asked. */
  EMAIL_CONFIRMATION = 'EMAIL_CONFIRMATION',
  PASSWORD_RESET = 'PASSWORD_RESET',
  /** "This wasn't me" link of a sign-in alert, bound to the session it reports. */
  UNRECOGNIZED_SIGN_IN = 'UNRECOGNIZED_SIGN_IN',
  /** Link proving the address (or claiming it from an unverified holder). */
  EMAIL_VERIFICATION = 'EMAIL_VERIFICATION',
  /** Two-factor recovery code; no expiry. */
  RECOVERY_CODE = 'RECOVERY_CODE',
}

/** Every single-use secret, stored only as a hash and spent by setting usedAt. */
@Entity({ name: 'one_time_tokens' })
export class OneTimeTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ type: 'varchar', length: 32 })
  purpose!: OneTimeTokenPurpose;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'session_id', type: 'varchar', length: 36, nullable: true })
  sessionId!: string | null;

  @Column({ name: 'created_at' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: Date, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'used_at', type: Date, nullable: true })
  usedAt!: Date | null;
}
