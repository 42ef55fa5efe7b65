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
}
