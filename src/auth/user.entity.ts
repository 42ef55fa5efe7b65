import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /**
   * Stored lowercased and trimmed. Unique among the accounts that hold their address
   * (`holdsEmail`); a pending account (registered for an address another account held) has it too.
   */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** Only the holder of an address can sign in by it or get a reset link for it. */
  @Column({ name: 'holds_email', type: 'boolean', default: true })
  holdsEmail!: boolean;

  /** When the emailed link proved the mailbox; null until then. */
  @Column({ name: 'email_verified_at', type: Date, nullable: true })
  emailVerifiedAt!: Date | null;

  /** argon2id PHC string. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column({ name: 'created_at' })
  createdAt!: Date;

  @Column({ name: 'password_changed_at' })
  passwordChangedAt!: Date;

  /** Base32 TOTP secret once two-factor is on. */
  @Column({ name: 'totp_secret', type: 'varchar', length: 128, nullable: true })
  totpSecret!: string | null;

  /** Secret shown by beginTotpSetup, until confirmTotpSetup proves the app has it. */
  @Column({ name: 'totp_pending_secret', type: 'varchar', length: 128, nullable: true })
  totpPendingSecret!: string | null;

  @Column({ name: 'totp_enabled_at', type: Date, nullable: true })
  totpEnabledAt!: Date | null;

  /** Last 30-second step a code was accepted for: a code is never accepted twice. */
  @Column({ name: 'totp_last_step', type: 'integer', nullable: true })
  totpLastStep!: number | null;
}
