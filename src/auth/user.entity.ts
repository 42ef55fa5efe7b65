import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** Stored lowercased and trimmed: one account per mailbox. */
  @Column({ type: 'varchar', length: 254, unique: true })
  email: string;

  /** argon2id PHC string. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'password_changed_at' })
  passwordChangedAt: Date;

  /** Base32 TOTP secret once two-factor is on. */
  @Column({ name: 'totp_secret', type: 'varchar', length: 128, nullable: true })
  totpSecret: string | null;

  /** Secret shown by beginTotpSetup, until confirmTotpSetup proves the app has it. */
  @Column({ name: 'totp_pending_secret', type: 'varchar', length: 128, nullable: true })
  totpPendingSecret: string | null;

  @Column({ name: 'totp_enabled_at', type: Date, nullable: true })
  totpEnabledAt: Date | null;

  /** Last 30-second step a code was accepted for: a code is never accepted twice. */
  @Column({ name: 'totp_last_step', type: 'integer', nullable: true })
  totpLastStep: number | null;
}
