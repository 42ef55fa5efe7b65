import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a service client may do; each endpoint names the one scope it needs. */
export enum ServiceScope {
  /** POST /oauth/introspect */
  INTROSPECT = 'introspect',
  /** The admin GraphQL surface: find users, list and end their sessions. */
  ADMIN = 'admin',
  /** Create, update, delete SSF streams of its own, change their status, ask for verification. */
  SSF_MANAGE = 'ssf.manage',
  /** Read its streams, their status and delivery log, and poll their events. */
  SSF_READ = 'ssf.read',
}

export const SERVICE_SCOPES = Object.values(ServiceScope);

/** A back-end of the app (an API gateway, a payments service) that calls signoff with client credentials. */
@Entity({ name: 'service_clients' })
export class ServiceClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  /** SHA-256 of a 256-bit random secret: a slow hash adds nothing to a secret nobody chose. */
  @Column({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash!: string;

  @Column({ type: 'simple-array' })
  scopes!: ServiceScope[];

  @Column({ name: 'created_at' })
  createdAt!: Date;

  @Column({ name: 'disabled_at', type: Date, nullable: true })
  disabledAt!: Date | null;
}

/** A short-lived access token from the client-credentials grant, stored only as its hash. */
@Entity({ name: 'service_tokens' })
export class ServiceTokenEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ type: 'simple-array' })
  scopes!: ServiceScope[];

  @Column({ name: 'created_at' })
  createdAt!: Date;

  @Column({ name: 'expires_at' })
  expiresAt!: Date;
}
